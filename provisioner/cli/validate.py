"""`provision validate`, `render` and `schema`: the configuration language's commands."""

from __future__ import annotations

import click

from provisioner.cli.project_options import load_project_from_cli, project_options


@click.command()
@project_options
def validate(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...]) -> None:
    """Check a project offline and report every error (exit 1 if any)."""
    project = load_project_from_cli(directory, env, variables, var_files)
    click.echo(project.summary())


@click.command()
@project_options
def render(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...]) -> None:
    """Print the fully expanded, merged YAML of a project (secrets stay ${env:NAME})."""
    project = load_project_from_cli(directory, env, variables, var_files)
    click.echo(project.render_yaml(), nl=False)


@click.command()
def schema() -> None:
    """Print the JSON schema of the configuration files."""
    from provisioner.config.schemadoc import schema_json

    click.echo(schema_json(), nl=False)

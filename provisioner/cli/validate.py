"""`provision validate`, `render` and `schema`: the configuration language's commands."""

from __future__ import annotations

from pathlib import Path

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
@click.option("--overlay", is_flag=True, help="The schema of env overlays (env/NAME.yaml) instead.")
@click.option("--write", "write_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Write both schemas into DIR/schemas/ (next to a project) and print the "
                                  "header lines that point editors at them.")
def schema(overlay: bool, write_dir: Path | None) -> None:
    """Print the JSON schema of the configuration files (or write both next to a project)."""
    from provisioner.config.schemadoc import (
        OVERLAY_HEADER,
        PROJECT_HEADER,
        overlay_json,
        schema_json,
        write_schemas,
    )

    if write_dir is None:
        click.echo(overlay_json() if overlay else schema_json(), nl=False)
        return
    for path in write_schemas(write_dir):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"First line of the project's files:  {PROJECT_HEADER}")
    click.echo(f"First line of env/*.yaml overlays:  {OVERLAY_HEADER}")

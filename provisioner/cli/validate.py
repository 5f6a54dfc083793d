"""`provision validate`, `render` and `schema`: the configuration language's commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from provisioner.errors import ConfigError, ConfigIssue


def _project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--var-file",
        "var_files",
        multiple=True,
        metavar="FILE",
        help="Variables from a YAML, JSON or CSV file (repeatable).",
    )(func)
    func = click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="KEY=VALUE",
        help="Set a template variable (repeatable; wins over files).",
    )(func)
    func = click.option(
        "--env", "env", default=None, metavar="NAME", help="Overlay env/NAME.yaml over the project."
    )(func)
    func = click.argument("directory", default=".", metavar="[DIR]")(func)
    return func


def _load(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...]) -> Any:
    from provisioner.config import load_project
    from provisioner.config.variables import parse_cli_vars

    issues: list[ConfigIssue] = []
    parsed = parse_cli_vars(variables, issues)
    if issues:
        raise ConfigError(issues)
    return load_project(Path(directory), env=env, var_files=var_files, variables=parsed)


@click.command()
@_project_options
def validate(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...]) -> None:
    """Check a project offline and report every error (exit 1 if any)."""
    project = _load(directory, env, variables, var_files)
    click.echo(project.summary())


@click.command()
@_project_options
def render(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...]) -> None:
    """Print the fully expanded, merged YAML of a project (secrets stay ${env:NAME})."""
    project = _load(directory, env, variables, var_files)
    click.echo(project.render_yaml(), nl=False)


@click.command()
def schema() -> None:
    """Print the JSON schema of the configuration files."""
    from provisioner.config.schemadoc import schema_json

    click.echo(schema_json(), nl=False)

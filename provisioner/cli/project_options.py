"""Options shared by every command that reads a project: DIR, --env, --var, --var-file, targets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from provisioner.config import Project, load_project
from provisioner.config.variables import parse_cli_vars
from provisioner.errors import ConfigError, ConfigIssue


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """DIR, --env, --var and --var-file."""
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


def load_project_from_cli(directory: str, env: str | None, variables: tuple[str, ...],
                          var_files: tuple[str, ...]) -> Project:
    """Load and validate the project the options name; ConfigError lists every problem."""
    issues: list[ConfigIssue] = []
    parsed = parse_cli_vars(variables, issues)
    if issues:
        raise ConfigError(issues)
    return load_project(Path(directory), env=env, var_files=var_files, variables=parsed)


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--target and --exclude (repeatable address patterns)."""
    func = click.option("--exclude", "excludes", multiple=True, metavar="ADDR",
                        help="Leave out addresses matching ADDR (exact, dotted prefix or glob; "
                             "repeatable).")(func)
    func = click.option("--target", "targets", multiple=True, metavar="ADDR",
                        help="Only addresses matching ADDR (exact, dotted prefix or glob; repeatable).")(func)
    return func


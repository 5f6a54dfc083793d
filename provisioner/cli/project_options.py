"""Options shared by every command that reads a project: DIR, --env, --var, --var-file, targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from provisioner.cli.validate import _load, _project_options


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """DIR, --env, --var and --var-file."""
    return _project_options(func)


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--target and --exclude (repeatable address patterns)."""
    func = click.option("--exclude", "excludes", multiple=True, metavar="ADDR",
                        help="Leave out addresses matching ADDR (exact, dotted prefix or glob; "
                             "repeatable).")(func)
    func = click.option("--target", "targets", multiple=True, metavar="ADDR",
                        help="Only addresses matching ADDR (exact, dotted prefix or glob; repeatable).")(func)
    return func


load_project_from_cli = _load

"""Terminal habits every command shares: colour only on a terminal and never with `NO_COLOR` or
`--no-color` (https://no-color.org), and the terminal's width."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any, TextIO

import click

_NO_COLOR_KEY = "provision.no_color"


def _set_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_NO_COLOR_KEY] = True


def no_color_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--no-color`, accepted before or after the subcommand's name."""
    return click.option("--no-color", is_flag=True, expose_value=False, is_eager=True,
                        callback=_set_no_color, help="No colours (also: the NO_COLOR variable).")(func)


def use_color(stream: TextIO) -> bool:
    """Colour for `stream`: a terminal, no `NO_COLOR` (any non-empty value), no `--no-color`."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(_NO_COLOR_KEY):
        return False
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def terminal_width(stream: TextIO) -> int | None:
    """The terminal's width in columns, or None when `stream` is not a terminal (no fitting)."""
    if not stream.isatty():
        return None
    return shutil.get_terminal_size().columns

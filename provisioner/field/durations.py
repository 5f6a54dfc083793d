"""Durations on the command line: `30s`, `1.5s`, `15m`, `2h`, or plain seconds."""

from __future__ import annotations

import click

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds; ValueError naming the text when it is not a duration."""
    raw = text.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if raw.endswith(unit):
            number, factor = raw[: -len(unit)], _UNITS[unit]
            break
    else:
        number, factor = raw, 1.0
    try:
        value = float(number) * factor
    except ValueError:
        raise ValueError(f"'{text}' is not a duration (e.g. 30s, 15m, 2h)") from None
    if value < 0 or value != value:
        raise ValueError(f"'{text}' must not be negative")
    return value


def duration_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A click option callback that turns the text into seconds (a usage error otherwise)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

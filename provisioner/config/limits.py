"""Limits on untrusted configuration input (YAML, templates, CSV and JSON variable files).

A project comes from anyone who can open a pull request, so each input has a cap far above what
a 20,000-site fleet needs (examples/fleet with 20,000 rows: a 1.5 MB CSV, 51 MB of rendered YAML,
nesting depth 8, no aliases, no integer longer than 10 digits). Passing a cap is a ConfigIssue
naming the file and line, never a crash, a hang or unbounded memory. README "Hardening" lists them.
"""

from __future__ import annotations

import json
import math
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

MAX_FILE_BYTES = 128 * 1024 * 1024
"""A YAML file, variables file or CSV file, checked before it is read."""
MAX_CSV_BYTES = 64 * 1024 * 1024
"""A CSV variables file (a 20,000-site sites.csv is 1.5 MB)."""
MAX_CSV_FIELD = 64 * 1024
"""One CSV cell."""
MAX_DEPTH = 64
"""Nesting of mappings and sequences in any YAML or JSON document."""
MAX_ALIASES = 100_000
"""YAML alias (`*name`) uses in one document."""
MAX_ALIAS_NODES = 100_000
"""Nodes that alias expansion may add to one document (the defence against "billion laughs")."""
MAX_INT_DIGITS = 100
"""Digits of an integer literal (vendor APIs carry 64-bit integers at most)."""
MAX_RENDER_CHARS = 128 * 1024 * 1024
"""Characters one template may render to."""
MAX_RENDER_SECONDS = 20.0
"""CPU-wall seconds one template may take to render (a 20,000-site fleet template takes ~3 s)."""
MAX_FULL_YAML_SECONDS = 8.0
"""Wall seconds the full YAML reader (ruamel.yaml, pure Python) may take on one file that the fast
reader does not handle (anchors, tags, block scalars, multi-line values, or a syntax error): it reads
~7,000 lines a second, a one-line list of 200,000 values took 53 s. Files the fast reader handles
(the fleet example at 20,000 sites, 51.8 MB) never reach it."""
MAX_TEMPLATE_VALUE = 16 * 1024 * 1024
"""Length of any one string or list a template expression builds (`'x' * n`, `range(n)`, …)."""


class LimitExceeded(ValueError):
    """An input passed one of the limits above; the message says which."""


def check_int_literal(text: str) -> None:
    """Refuse an integer literal with more than MAX_INT_DIGITS digits (before `int()` parses it)."""
    digits = sum(ch.isdigit() or ch in "abcdefABCDEF" for ch in text)
    if digits > MAX_INT_DIGITS:
        raise LimitExceeded(f"integer literal has {digits} digits; the limit is {MAX_INT_DIGITS}")


def json_int(text: str) -> int:
    """`parse_int` for json.loads: huge literals are a LimitExceeded, not Python's ValueError."""
    check_int_literal(text)
    return int(text)


def json_constant(name: str) -> float:
    """`parse_constant` for json.loads: NaN and Infinity are not JSON."""
    raise LimitExceeded(f"{name} is not a JSON number")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def json_depth_ok(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the brackets of a JSON text nest at most `limit` deep (strings skipped).

    Regex passes at C speed: strip strings and everything but brackets, then peel the innermost
    pairs `limit` times; anything left nests deeper (or does not match, which json reports).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for peeled_levels in range(limit):
        if not brackets:
            return True
        peeled = _INNERMOST.sub("", brackets)
        if peeled == brackets:  # unbalanced: the rest nests at most len(brackets) deeper
            return peeled_levels + len(brackets) <= limit
        brackets = peeled
    return not brackets


def load_json(text: str) -> Any:
    """json.loads with the limits: depth, integer digits, no NaN/Infinity. LimitExceeded or
    json.JSONDecodeError on bad input."""
    if not json_depth_ok(text):
        raise LimitExceeded(f"JSON nests deeper than {MAX_DEPTH} levels")
    return json.loads(text, parse_int=json_int, parse_constant=json_constant)


def is_finite_number(value: object) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


@contextmanager
def wall_alarm(seconds: float, on_alarm: Callable[[], BaseException]) -> Iterator[None]:
    """Within the block, raise `on_alarm()` after `seconds` of wall time (SIGALRM), so that even
    a loop in C-free Python code stops. Only on the main thread where the platform has
    `setitimer`; elsewhere the block runs unbounded (callers keep their own checks)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise on_alarm()

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

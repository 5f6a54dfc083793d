"""The event loop the commands run on: uvloop where it is installed, else asyncio's own.

A plan of a large fleet is bound by the client's CPU per request (socket reads and writes,
callbacks, timers); uvloop does that loop work in C. Measured on a 500-site plan over loopback
(benchmarks/bench_plan_read.py): the sandbox server's CPU per plan 0.30 s -> 0.24 s and the
plan's wall 1.20 s -> 1.11 s (medians of 8). uvloop has no Windows build: there, and with
`PROVISION_EVENT_LOOP=asyncio` (to rule the loop out when debugging), asyncio's loop is used.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
ENV = "PROVISION_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop` when installed and not turned off; None means asyncio's."""
    if os.environ.get(ENV, "").strip().lower() == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks (Ctrl-C cancels `main` either way)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def name() -> str:
    """Which loop `run` uses: "uvloop" or "asyncio"."""
    return "asyncio" if loop_factory() is None else "uvloop"

"""Long CPU work on the event loop in slices, so that requests in flight keep moving.

A provider interprets thousands of listed objects while its remaining reads are in flight. Run in
one piece, that work would hold every answer that arrives meanwhile unread (and the next request
unsent); on a thread it is worse, since the loop then waits for the GIL at each socket call. So the
work is written as a generator that yields after each object, and `run_sliced` hands control back
to the loop whenever a slice has used its time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterator

SLICE_SECONDS = 0.002


async def run_sliced(steps: Iterator[object], slice_seconds: float = SLICE_SECONDS) -> None:
    """Drive `steps` to the end, letting other tasks run every `slice_seconds` of work."""
    clock = time.perf_counter
    deadline = clock() + slice_seconds
    for _ in steps:
        if clock() >= deadline:
            await asyncio.sleep(0)
            deadline = clock() + slice_seconds


def run_all(steps: Iterator[object]) -> None:
    """Drive `steps` to the end at once (outside an event loop, or where nothing is in flight)."""
    deque(steps, maxlen=0)

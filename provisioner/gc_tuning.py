"""Garbage-collector settings for reading and diffing large fleets.

A plan of a 500-site fleet allocates a few hundred thousand containers (parsed pages, normalized
attributes) that are freed by reference counting; CPython's default gen-0 threshold (700) runs
~170 young and a few full collections over them, each walking the growing heap: 0.12 to 0.27 s of
a 0.8 to 1.0 s CPU plan was collector time (15 to 30%). Cycles are rare here, so collecting less often loses
little memory. Even at a 50,000 threshold the young collections of the objects a plan keeps cost
30-50 ms; a plan (bounded: one read of the fleet, then a diff) pauses the collector altogether,
an apply (long, with retries) only collects less often.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000

_depth = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Within the block, collect generation 0 only every `young` net allocations (never more
    often than the setting before); the thresholds of before the outermost block are restored
    when the last one (overlapping blocks may end in any order) ends."""
    global _depth, _saved
    if _depth == 0:
        _saved = gc.get_threshold()
        if _saved[0] != 0:  # 0 means automatic collection is off: leave it off
            gc.set_threshold(max(_saved[0], young), *_saved[1:])
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.set_threshold(*_saved)


def settle_long_lived_heap(young: int = YOUNG_THRESHOLD) -> None:
    """For a long-running server holding a large, cycle-free state (the sandbox after a load):
    collect once, exempt the survivors from later collections (`gc.freeze`; reference counting
    still frees them) and collect generation 0 only every `young` allocations from now on.
    Without it, each full collection walked a 500-site state: a third of an asset page's time.
    Called again (a new seed), it first unfreezes, so that cycles in the replaced state are freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    if threshold[0] != 0:
        gc.set_threshold(max(threshold[0], young), *threshold[1:])


_paused = 0
_was_enabled = True
_frozen_before = 0


@contextmanager
def paused_collections() -> Iterator[None]:
    """Within the block, no automatic collection at all (reference counting still frees almost
    everything); the collector is re-enabled, if it was enabled before, when the last overlapping
    block ends. For bounded work only: a plan's read and diff.

    Re-enabled as is, the collector would at once scan every object the block allocated and kept
    (a 500-site plan: ~25 ms); when nothing is frozen, those survivors are instead moved to the
    oldest generation unscanned (`gc.freeze` then `gc.unfreeze`), where a later full collection
    sees them as it sees any long-lived object.
    """
    global _paused, _was_enabled, _frozen_before
    if _paused == 0:
        _was_enabled = gc.isenabled()
        _frozen_before = gc.get_freeze_count()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            if _frozen_before == 0 and gc.get_freeze_count() == 0:
                gc.freeze()  # every tracked object to the permanent generation, young counts reset
                gc.unfreeze()  # ... and back into the oldest generation, none scanned
            if _was_enabled:
                gc.enable()

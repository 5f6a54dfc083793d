"""The collector settings for big reads: raised inside blocks, restored after, settled for servers."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from provisioner.gc_tuning import YOUNG_THRESHOLD, fewer_collections


def test_threshold_is_raised_inside_and_restored_after_overlapping_blocks() -> None:
    before = gc.get_threshold()
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    assert gc.get_threshold() == (max(before[0], YOUNG_THRESHOLD), *before[1:])
    second.__enter__()
    first.__exit__(None, None, None)  # overlapping blocks (two concurrent plans) end in any order
    assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_restored_when_the_block_raises() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections(young=before[0] + 1):
            assert gc.get_threshold()[0] == before[0] + 1
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_settling_freezes_the_heap_and_keeps_the_higher_threshold() -> None:
    script = textwrap.dedent("""
        import gc
        from provisioner.gc_tuning import YOUNG_THRESHOLD, settle_long_lived_heap
        state = [{"n": i} for i in range(1000)]
        gc.set_threshold(700, 10, 10)
        settle_long_lived_heap()
        print(gc.get_freeze_count() >= 1000, gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_a_plan_pauses_the_collector_and_resumes_it_after_overlapping_blocks() -> None:
    from provisioner.gc_tuning import paused_collections

    assert gc.isenabled()
    first, second = paused_collections(), paused_collections()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other plan still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    from provisioner.gc_tuning import paused_collections

    gc.disable()
    try:
        with paused_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_plan_kept_is_moved_to_the_oldest_generation_without_a_scan() -> None:
    from provisioner.gc_tuning import paused_collections

    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        with paused_collections():
            kept = [[i] for i in range(20_000)]  # lists are always tracked; far beyond a threshold
        assert collections == []  # re-enabling scanned nothing
        assert len(gc.get_objects(generation=0)) < 1_000  # the young generation starts empty again
        sentinel = kept[-1]
        assert any(o is sentinel for o in gc.get_objects(generation=2))
    finally:
        gc.callbacks.remove(count)


def test_objects_frozen_by_someone_else_stay_frozen() -> None:

    script = textwrap.dedent("""
        import gc
        from provisioner.gc_tuning import paused_collections
        heap = [{"n": i} for i in range(1000)]
        gc.freeze()
        frozen = gc.get_freeze_count()
        with paused_collections():
            more = [{"m": i} for i in range(1000)]
        print(gc.get_freeze_count() == frozen, gc.isenabled())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_a_collector_switched_off_by_threshold_zero_stays_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_settling_again_frees_cycles_of_the_replaced_state() -> None:
    script = textwrap.dedent("""
        import gc, weakref
        from provisioner.gc_tuning import settle_long_lived_heap
        class Node:
            pass
        state = Node(); state.self = state  # a cycle in the first state
        alive = weakref.ref(state)
        settle_long_lived_heap()
        del state  # a seed replaces the state
        settle_long_lived_heap()
        print(alive() is None)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]

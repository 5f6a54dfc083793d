"""`run_sliced` lets other tasks run during long work; `run_all` simply finishes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from provisioner.providers.cooperative import run_all, run_sliced


def busy_steps(seconds: float, done: list[int]) -> Iterator[None]:
    """Steps of about 0.5 ms of CPU each, `seconds` in all."""
    for n in range(int(seconds / 0.0005)):
        end = time.perf_counter() + 0.0005
        while time.perf_counter() < end:
            pass
        done.append(n)
        yield


async def test_other_tasks_run_while_sliced_work_goes_on() -> None:
    done: list[int] = []
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(len(done))  # how far the work had got at each tick
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await run_sliced(busy_steps(0.05, done), slice_seconds=0.002)
    task.cancel()
    assert done == list(range(100))
    inside = [t for t in ticks if 0 < t < len(done)]
    assert len(inside) >= 10  # the ticker ran many times while the work was half done


async def test_run_all_runs_every_step_without_yielding() -> None:
    done: list[int] = []
    ticks: list[int] = []

    async def ticker() -> None:
        ticks.append(len(done))

    task = asyncio.create_task(ticker())
    run_all(busy_steps(0.01, done))
    await task
    assert done == list(range(20)) and ticks == [20]

"""Apply progress: a rich progress bar with counts and ETA on a TTY, plain log lines otherwise.

With the plan's estimate, the ETA follows its model rather than the recent rate: the quota-limited
calls paced by their quotas (`quota_eta`), the rest of the work in proportion to the nodes left.
A client-side quota that makes calls wait is said, with why and for how long: `waiting for quota:
mindconnect POST /dataPointMappings, 1,050/h (next slot in 3.4s)` (once when a class starts
waiting, then at most every `notice_every` seconds).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from provisioner.apply.events import ApplyEvent, EventKind
from provisioner.apply.quota_eta import QuotaEta
from provisioner.model.quota import QuotaWait
from provisioner.plan.estimate import Estimate

_DONE = {EventKind.FINISHED: "done", EventKind.FAILED: "FAILED", EventKind.SKIPPED: "skipped"}


def clock_text(seconds: float | None) -> str:
    """`h:mm:ss` (`-:--:--` when unknown)."""
    if seconds is None:
        return "-:--:--"
    whole = max(0, round(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class ProgressReporter:
    """An executor listener and a client quota observer; use as a context manager around `execute`."""

    def __init__(self, total: int, *, stream: TextIO | None = None, tty: bool | None = None,
                 color: bool = True, estimate: Estimate | None = None,
                 clock: Callable[[], float] = time.monotonic, notice_every: float = 30.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.color = color
        self.total = total
        self.completed = 0
        self.failed = 0
        self.clock = clock
        self.notice_every = notice_every
        self.estimate = estimate
        self.quota = QuotaEta(estimate, clock=clock) if estimate is not None else None
        self.waiting: set[str] = set()  # endpoint classes whose calls wait for a slot now
        self.noticed: dict[str, float] = {}  # endpoint class -> when its last wait notice was given
        self.status = ""
        self._started = clock()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressReporter:
        self._started = self.clock()
        if self.tty:
            self._bar = Progress(
                TextColumn("[bold]apply"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"), TextColumn("ETA {task.fields[eta]}"),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream, no_color=not self.color), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("apply", total=self.total, failed=0,
                                            eta=clock_text(self.eta_seconds()), status="")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    # -- the ETA --------------------------------------------------------------------------------
    def eta_seconds(self) -> float | None:
        """Seconds left by the estimate's model: the larger of the quota-paced calls still to make
        and the unlimited work in proportion to the nodes left; by the recent rate without an
        estimate (None before the first node is done)."""
        left = self.total - self.completed
        if self.estimate is None:
            if not self.completed:
                return None
            return (self.clock() - self._started) / self.completed * left
        unlimited = max(self.estimate.critical_path_seconds, self.estimate.throughput_seconds)
        share = unlimited * left / self.total if self.total else 0.0
        quota = self.quota.seconds() if self.quota is not None else 0.0
        return max(share, quota)

    # -- quota observer -------------------------------------------------------------------------
    def quota_taken(self, endpoint_class: str) -> None:
        """A call took a quota slot (it no longer waits)."""
        if self.quota is not None:
            self.quota.quota_taken(endpoint_class)
        if endpoint_class in self.waiting:
            self.waiting.discard(endpoint_class)
            if not self.waiting:
                self.status = ""

    def quota_wait(self, wait: QuotaWait) -> None:
        """A call waits for a quota slot: say so the first time the class waits, then at most every
        `notice_every` seconds."""
        now = self.clock()
        self.status = f"waiting for quota: {wait.label}"
        self.waiting.add(wait.endpoint_class)
        last = self.noticed.get(wait.endpoint_class)
        if last is not None and now - last < self.notice_every:
            self._refresh()
            return
        self.noticed[wait.endpoint_class] = now
        line = (f"waiting for quota: {wait.label} (next slot in {wait.seconds:.1f}s, "
                f"ETA {clock_text(self.eta_seconds())})")
        if self._bar is not None:
            self._bar.console.print(line)
            self._refresh()
        else:
            print(f"[{self.completed}/{self.total}] {line}", file=self.stream, flush=True)

    def _refresh(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.completed, failed=self.failed,
                             eta=clock_text(self.eta_seconds()), status=self.status)

    # -- executor listener ----------------------------------------------------------------------
    def on_event(self, event: ApplyEvent) -> None:
        """Count finished, failed and skipped nodes; print a line for each in plain mode (and for
        a node waiting on the service)."""
        if event.kind is EventKind.WAITING:
            if self._bar is not None:
                self._bar.console.print(f"waiting: {event.node}: {event.detail}")
            else:
                print(f"[{self.completed}/{event.total}] waiting {event.node}: {event.detail}",
                      file=self.stream, flush=True)
            return
        label = _DONE.get(event.kind)
        if label is None:
            return
        self.completed += 1
        self.failed += event.kind is not EventKind.FINISHED
        if self._bar is not None:
            self._refresh()
            return
        detail = {
            EventKind.FINISHED: f" ({event.seconds:.1f}s)",
            EventKind.FAILED: f": {event.error}",
            EventKind.SKIPPED: f" (depends on failed {event.cause})",
        }[event.kind]
        print(f"[{self.completed}/{event.total}] {label} {event.node}{detail}", file=self.stream, flush=True)

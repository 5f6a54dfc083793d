"""Apply progress: a rich progress bar with counts and ETA on a TTY, plain log lines otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from provisioner.apply.events import ApplyEvent, EventKind

_DONE = {EventKind.FINISHED: "done", EventKind.FAILED: "FAILED", EventKind.SKIPPED: "skipped"}


class ProgressReporter:
    """An executor listener; use as a context manager around `execute`."""

    def __init__(self, total: int, *, stream: TextIO | None = None, tty: bool | None = None,
                 color: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.color = color
        self.total = total
        self.completed = 0
        self.failed = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressReporter:
        if self.tty:
            self._bar = Progress(
                TextColumn("[bold]apply"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"), TimeRemainingColumn(),
                console=Console(file=self.stream, no_color=not self.color), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("apply", total=self.total, failed=0)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

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
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.completed, failed=self.failed)
            return
        detail = {
            EventKind.FINISHED: f" ({event.seconds:.1f}s)",
            EventKind.FAILED: f": {event.error}",
            EventKind.SKIPPED: f" (depends on failed {event.cause})",
        }[event.kind]
        print(f"[{self.completed}/{event.total}] {label} {event.node}{detail}", file=self.stream, flush=True)

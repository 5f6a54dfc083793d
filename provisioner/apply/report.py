"""The outcome of an apply run, and the exit code it maps to."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.apply.rollout import GroupResult
from provisioner.model import Action

EXIT_OK = 0
"""Every planned change was applied."""
EXIT_ERROR = 1
"""Nothing was written (refused, or every first write failed)."""
EXIT_PARTIAL = 3
"""Some writes succeeded and some failed or were skipped: the live state is between two plans."""
EXIT_DEADLINE = 8
"""`--max-duration` ran out with nothing failed: what was not started is left for the next run."""


@dataclass(frozen=True)
class AppliedOp:
    """One successful provider call."""

    address: str
    op: Action
    seconds: float
    server_id: str | None = None


@dataclass
class Report:
    """`failed` maps address -> error message; `skipped` maps address -> the failed dependency;
    `not_started` lists what a deadline or a stopped rollout (`stopped` says which) left undone;
    `groups` is each rollout group's outcome (empty without `--group-by`)."""

    applied: list[AppliedOp] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    planned: int = 0
    seconds: float = 0.0
    not_started: list[str] = field(default_factory=list)
    stopped: str | None = None
    deadline_reached: bool = False
    groups: list[GroupResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.not_started

    def exit_code(self) -> int:
        """0 all applied; with a failure 3 when something was applied, else 1; with no failure
        but the deadline reached 8."""
        if self.ok:
            return EXIT_OK
        if not self.failed and not self.skipped and self.deadline_reached:
            return EXIT_DEADLINE
        return EXIT_PARTIAL if self.applied else EXIT_ERROR

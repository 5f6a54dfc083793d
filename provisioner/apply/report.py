"""The outcome of an apply run, and the exit code it maps to."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.model import Action

EXIT_OK = 0
"""Every planned change was applied."""
EXIT_ERROR = 1
"""Nothing was written (refused, or every first write failed)."""
EXIT_PARTIAL = 3
"""Some writes succeeded and some failed or were skipped: the live state is between two plans."""


@dataclass(frozen=True)
class AppliedOp:
    """One successful provider call."""

    address: str
    op: Action
    seconds: float
    server_id: str | None = None


@dataclass
class Report:
    """`failed` maps address -> error message; `skipped` maps address -> the failed dependency."""

    applied: list[AppliedOp] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    planned: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def exit_code(self) -> int:
        """0 all applied, 3 partially applied, 1 nothing written and something failed."""
        if self.ok:
            return EXIT_OK
        return EXIT_PARTIAL if self.applied else EXIT_ERROR

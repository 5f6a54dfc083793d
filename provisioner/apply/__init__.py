"""Applying a plan: safety gate, precondition re-check, ready-queue executor (with a deadline and
staged rollouts), journal, report."""

from provisioner.apply.deadline import ChangeDurations, Deadline
from provisioner.apply.events import ApplyEvent, EventKind, Listener, broadcast
from provisioner.apply.executor import execute
from provisioner.apply.journal import Journal, JournalEntry
from provisioner.apply.preconditions import StalePlanError, check_preconditions
from provisioner.apply.progress import ProgressReporter
from provisioner.apply.report import EXIT_DEADLINE, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, AppliedOp, Report
from provisioner.apply.rollout import GroupResult, Rollout, RolloutPolicy
from provisioner.apply.safety import Thresholds, Violation, check_safety

__all__ = [
    "EXIT_DEADLINE",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "AppliedOp",
    "ApplyEvent",
    "ChangeDurations",
    "Deadline",
    "EventKind",
    "GroupResult",
    "Journal",
    "JournalEntry",
    "Listener",
    "ProgressReporter",
    "Report",
    "Rollout",
    "RolloutPolicy",
    "StalePlanError",
    "Thresholds",
    "Violation",
    "broadcast",
    "check_preconditions",
    "check_safety",
    "execute",
]

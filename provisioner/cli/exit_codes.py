"""Every exit code of `provision`, in one table: `--help` and the README show it, `code_for` maps
an expected failure to its code by the error's type (never by its message)."""

from __future__ import annotations

OK = 0
ERROR = 1
CHANGES = 2
PARTIAL = 3
STALE_PLAN = 4
UNSAFE_PLAN = 5
AUTHENTICATION = 6
LOCK_HELD = 7
DEADLINE = 8

TABLE: tuple[tuple[int, str], ...] = (
    (OK, "success (applied, or nothing to do)"),
    (ERROR, "error before any write: configuration, usage, I/O, an API error while reading"),
    (CHANGES, "changes present (`plan --detailed-exitcode`; `check`: data not flowing)"),
    (PARTIAL, "partial apply: some changes applied, some failed or were skipped"),
    (STALE_PLAN, "stale plan: a saved plan's objects or configuration changed since; nothing written"),
    (UNSAFE_PLAN, "unsafe plan: thresholds, data loss, protect or a forged plan file refused it; "
                  "nothing written"),
    (AUTHENTICATION, "authentication: credentials rejected (HTTP 401/403 or the token request)"),
    (LOCK_HELD, "lock held: another apply of the stack holds its lease (`--lock-timeout`, `unlock`)"),
    (DEADLINE, "deadline reached: `apply --max-duration` left changes not started; run again to finish"),
)


def help_text() -> str:
    """The table as `--help` shows it."""
    return "Exit codes:\n\n\b\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in TABLE)


def code_for(exc: BaseException, default: int) -> int:
    """The exit code of an expected failure, by its type; `default` for any other."""
    # imported here: the CLI's start-up imports no provider or pipeline code
    from provisioner.apply.preconditions import StalePlanError
    from provisioner.pipeline import UnsafePlanError
    from provisioner.plan.signature import PlanSignatureError
    from provisioner.providers.http.errors import AuthError, ForbiddenError
    from provisioner.providers.insights_hub.lease import LeaseHeldError, UnlockRefusedError

    by_type: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
        ((StalePlanError,), STALE_PLAN),
        ((UnsafePlanError, PlanSignatureError), UNSAFE_PLAN),
        ((AuthError, ForbiddenError), AUTHENTICATION),
        ((LeaseHeldError, UnlockRefusedError), LOCK_HELD),
    )
    for types, code in by_type:
        if isinstance(exc, types):
            return code
    return default

"""The apply pipeline behind the CLI: gate -> preconditions -> ids -> execute -> report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provisioner.apply.deadline import Deadline
from provisioner.apply.events import Listener, broadcast
from provisioner.apply.executor import execute
from provisioner.apply.journal import Journal
from provisioner.apply.leases import stack_leases
from provisioner.apply.preconditions import check_preconditions
from provisioner.apply.rederive import disagreements
from provisioner.apply.report import Report
from provisioner.apply.rollout import Rollout, RolloutPolicy
from provisioner.apply.safety import Violation, check_safety
from provisioner.errors import ProvisionError
from provisioner.gc_tuning import fewer_collections
from provisioner.model import LiveState, platform_of
from provisioner.plan import Plan
from provisioner.render.sites import sites_of
from provisioner.session import Session, apply_context, make_plan, needs_live_ids, read_live

DEFAULT_PARALLELISM = 32


class UnsafePlanError(ProvisionError):
    """The plan breaks a safety rule that the user has not overridden; nothing was written."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = [f"  - {v.message}" for v in self.violations]
        super().__init__("\n".join(["refusing to apply; nothing was written:", *lines]), exit_code=1)


@dataclass
class ApplyOptions:
    """What the user allowed and how hard to push; `deadline` (`--max-duration`) and `rollout`
    (`--group-by`, `--canary`, `--max-failures`, `--wave-size`) may stop it early."""

    parallelism: int = DEFAULT_PARALLELISM
    force: bool = False
    allow_data_loss: bool = False
    allow_destroy: tuple[str, ...] = ()  # addresses whose lifecycle.prevent_destroy this apply lifts
    allow_duplicate_names: bool = False
    delete_unmanaged_children: bool = False
    journal_dir: Path | None = None
    deadline: Deadline | None = None
    rollout: RolloutPolicy | None = None


def groups_of(plan: Plan, policy: RolloutPolicy) -> dict[str, str]:
    """Each change's rollout group under `policy.group_by` (`site`: the markdown renderer's sites)."""
    if policy.group_by != "site":
        raise ProvisionError(f"unknown grouping {policy.group_by!r}; choose from: site")
    return sites_of(list(plan.changes))


def gate(plan: Plan, options: ApplyOptions) -> None:
    """Raise `UnsafePlanError` when thresholds, protection or data-loss rules forbid the plan."""
    violations = check_safety(plan, force=options.force, allow_data_loss=options.allow_data_loss,
                              allow_destroy=options.allow_destroy,
                              allow_duplicate_names=options.allow_duplicate_names,
                              delete_unmanaged_children=options.delete_unmanaged_children)
    if violations:
        raise UnsafePlanError(violations)


async def apply_plan(session: Session, plan: Plan, options: ApplyOptions, *,
                     live: dict[str, LiveState] | None = None, saved: bool = False,
                     on_event: Listener | None = None) -> Report:
    """Execute exactly `plan` holding each written platform's stack lease (`apply.leases`). A saved
    plan is first re-checked against live preconditions, then against a plan made again from the
    configuration and the live state (`apply.rederive`): the file's safety fields are not trusted.
    `live` is the read `plan` came from in this session (a fresh plan); without it the providers
    treat the plan as read elsewhere."""
    gate(plan, options)
    if saved:  # before the lease: a stale or forged plan is refused without a single write
        await check_preconditions(plan, session.providers)
        again, read_again = await make_plan(session)
        found = disagreements(plan, again)
        if found:
            raise UnsafePlanError(found)
        live = live if live is not None else read_again
    fresh = live is not None and not saved
    async with stack_leases(session.providers, {platform_of(c.address) for c in plan.changes},
                            plan_read_here=fresh):
        if live is None and needs_live_ids(plan):
            live = await read_live(session)  # ids of the unchanged objects the changes refer to
        ctx = apply_context(plan, live)
        listeners: list[Listener | None] = [on_event]
        if options.journal_dir is not None:
            listeners.append(Journal(options.journal_dir).on_event)
        rollout = Rollout(options.rollout, plan.graph(), groups_of(plan, options.rollout)) \
            if options.rollout else None
        with fewer_collections():
            return await execute(plan, session.providers, parallelism=options.parallelism,
                                 per_platform_limits=session.concurrency(), ctx=ctx,
                                 on_event=broadcast(*listeners), deadline=options.deadline,
                                 rollout=rollout)

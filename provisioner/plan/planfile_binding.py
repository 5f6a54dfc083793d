"""Checking a saved plan against the project `apply PLANFILE` loaded, before any client is opened.

A plan made for another env, tenant, gateway or iTwin project is refused naming both sides
(`PlanTargetError`, exit 1); a plan whose configuration changed since it was made is stale
(`ConfigChangedError`, the stale-plan exit code). Either way nothing is read or written.
"""

from __future__ import annotations

from provisioner.apply.preconditions import StalePlanError
from provisioner.errors import ProvisionError
from provisioner.plan.planfile_target import PlanTarget, apply_command


def _env_text(env: str | None) -> str:
    return f"--env {env}" if env else "the base configuration (no --env)"


def differences(planned: PlanTarget, current: PlanTarget) -> list[tuple[str, str, str]]:
    """(what, the plan's value, this apply's value) for every bound field that differs."""
    rows = [
        ("env", _env_text(planned.env), _env_text(current.env)),
        ("insights_hub tenant", str(planned.hub_tenant), str(current.hub_tenant)),
        ("insights_hub gateway", str(planned.hub_gateway), str(current.hub_gateway)),
        ("itwin_iot url", str(planned.itwin_url), str(current.itwin_url)),
        ("itwin_iot project", str(planned.itwin_project), str(current.itwin_project)),
    ]
    return [(what, plan, now) for what, plan, now in rows if plan != now]


class PlanTargetError(ProvisionError):
    """A saved plan was made for another env or platform target than the one this apply loaded."""


class ConfigChangedError(StalePlanError):
    """The project's configuration changed since the plan was made: the plan is stale."""

    def __init__(self, message: str) -> None:
        ProvisionError.__init__(self, message)
        self.stale = {}


def check_target(planfile: str, planned: PlanTarget | None, planned_digest: str, current: PlanTarget,
                 current_digest: str, *, directory: str) -> None:
    """Refuse a plan bound to another target, or made from another configuration (nothing written)."""
    if planned is None:
        raise PlanTargetError(f"{planfile} records no target (env, tenant, iTwin project); it cannot be "
                              "checked against this project: run plan --out again")
    rows = differences(planned, current)
    if rows:
        width = max(len(what) for what, _, _ in rows)
        lines = [f"  {what.ljust(width)}  plan: {plan}  |  this apply: {now}" for what, plan, now in rows]
        raise PlanTargetError("\n".join([
            f"{planfile} was planned for another target than {directory} with these options; "
            "nothing was written:", *lines,
            f"apply it as planned with: {apply_command(planfile, planned.env, ())}"
            if planned.env != current.env else "plan again for this target",
        ]))
    if planned_digest != current_digest:
        raise ConfigChangedError(
            f"the plan is stale: the configuration in {directory} changed since {planfile} was made "
            f"(digest {planned_digest[:19]}… then, {current_digest[:19]}… now); nothing was applied. "
            "Run plan again."
        )

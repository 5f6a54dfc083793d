from __future__ import annotations

from engine_fakes import FakeStore, Faults, plan_for, providers_for, res

from provisioner.apply import ApplyEvent, EventKind, execute
from provisioner.apply.report import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL
from provisioner.errors import AmbiguousWriteError
from provisioner.model import Action, ApplyContext, Change
from provisioner.model.attempts import FAILED_ATTEMPTS_PER_CHANGE, current_budget


def tree(width: int = 3) -> list:  # type: ignore[type-arg]
    """hub.assets.root <- hub.assets.s{i} <- hub.mappings.m{i}; plus independent iot devices."""
    desired = [res("hub.assets.root", "assets")]
    for i in range(width):
        desired.append(res(f"hub.assets.s{i}", "assets", ["hub.assets.root"]))
        desired.append(res(f"hub.mappings.m{i}", "mappings", [f"hub.assets.s{i}"]))
        desired.append(res(f"iot.devices.d{i}", "devices"))
    return desired


async def test_applies_everything_in_dependency_order_and_records_ids() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    ctx = ApplyContext()
    events: list[ApplyEvent] = []
    report = await execute(plan, providers_for(store, delay=0.001), parallelism=4, ctx=ctx,
                           on_event=events.append)
    assert report.exit_code() == EXIT_OK and report.ok
    assert len(report.applied) == len(plan.changes) == report.planned == 10
    assert set(store.objects) == {c.address for c in plan.changes}
    assert ctx.ids == {a: o.server_id for a, o in store.objects.items()}
    assert ctx.changes == {c.address: c for c in plan.changes}
    ends = {(a, op): t for kind, op, a, t in store.events if kind == "end"}
    starts = {(a, op): t for kind, op, a, t in store.events if kind == "start"}
    for i in range(3):
        assert starts[(f"hub.assets.s{i}", "create")] >= ends[("hub.assets.root", "create")]
        assert starts[(f"hub.mappings.m{i}", "create")] >= ends[(f"hub.assets.s{i}", "create")]
    assert [e.kind for e in events].count(EventKind.FINISHED) == 10
    assert plan_for(store, tree()).changes == ()


async def test_concurrency_bounds_are_respected() -> None:
    store = FakeStore()
    desired = [res(f"hub.assets.a{i}", "assets") for i in range(12)] + [
        res(f"iot.devices.d{i}", "devices") for i in range(12)
    ]
    plan = plan_for(store, desired)
    report = await execute(plan, providers_for(store, delay=0.01), parallelism=5,
                           per_platform_limits={"hub": 2}, ctx=ApplyContext())
    assert report.ok
    assert store.max_in_flight == 5
    assert store.max_in_flight_by_platform["hub"] == 2
    assert store.max_in_flight_by_platform["iot"] <= 5


async def test_parallelism_runs_independent_changes_at_once() -> None:
    async def peak(parallelism: int) -> int:
        store = FakeStore()
        plan = plan_for(store, [res(f"hub.assets.a{i}", "assets") for i in range(10)])
        await execute(plan, providers_for(store, delay=0.02), parallelism=parallelism, ctx=ApplyContext())
        assert len(store.objects) == 10
        return store.max_in_flight

    # counted, not timed: a loaded machine stretches wall time but not how many changes overlap
    assert await peak(1) == 1
    assert await peak(10) == 10


async def test_dependents_of_a_failure_are_skipped_and_other_branches_applied() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    faults = Faults(permanent={"hub.assets.s1"})
    events: list[ApplyEvent] = []
    report = await execute(plan, providers_for(store, faults=faults), parallelism=3, ctx=ApplyContext(),
                           on_event=events.append)
    assert report.failed == {"hub.assets.s1": "hub.assets.s1: rejected by the fake service"}
    assert report.skipped == {"hub.mappings.m1": "hub.assets.s1"}
    applied = {op.address for op in report.applied}
    assert applied == {c.address for c in plan.changes} - {"hub.assets.s1", "hub.mappings.m1"}
    assert "hub.mappings.m1" not in store.objects
    assert report.exit_code() == EXIT_PARTIAL
    skipped = [e for e in events if e.kind is EventKind.SKIPPED]
    assert [(e.node.address, e.cause) for e in skipped] == [("hub.mappings.m1", "hub.assets.s1")]


async def test_all_first_writes_failing_is_an_error_exit() -> None:
    store = FakeStore()
    desired = [res("hub.assets.a", "assets"), res("hub.mappings.m", "mappings", ["hub.assets.a"])]
    plan = plan_for(store, desired)
    report = await execute(plan, providers_for(store, faults=Faults(permanent={"hub.assets.a"})),
                           ctx=ApplyContext())
    assert report.applied == []
    assert report.exit_code() == EXIT_ERROR


async def test_an_ambiguous_write_is_rerun_without_a_duplicate_but_a_5xx_is_not_resent() -> None:
    store = FakeStore()
    plan = plan_for(store, [res("hub.assets.a", "assets"), res("hub.assets.b", "assets")])
    faults = Faults(transient={"hub.assets.a": 1}, ambiguous={"hub.assets.b"})
    events: list[ApplyEvent] = []
    report = await execute(plan, providers_for(store, faults=faults), ctx=ApplyContext(), retry_delay=0,
                           on_event=events.append)
    # a 503 reaching the executor was already retried by the HTTP layer: the change fails, once
    assert report.failed == {"hub.assets.a": "hub.assets.a: service unavailable"}
    assert [a.address for a in report.applied] == ["hub.assets.b"]
    assert store.writes == [("create", "hub.assets.b")]
    started = sorted(e.node.address for e in events if e.kind is EventKind.STARTED)
    assert started == ["hub.assets.a", "hub.assets.b", "hub.assets.b"]
    retried = [e.node.address for e in events if e.kind is EventKind.RETRYING]
    assert retried == ["hub.assets.b"]


class _AlwaysAmbiguous:
    """A provider whose every write fails one attempt (counted like the HTTP layer counts it) and
    comes back of unknown outcome, its lookup finding nothing."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.runs = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        self.runs += 1
        budget = current_budget()
        assert budget is not None  # the executor opened one for this change
        budget.fail()
        raise AmbiguousWriteError(f"{change.address}: outcome unknown, not found by lookup")


async def test_reruns_stop_when_the_change_has_spent_its_attempt_budget() -> None:
    store = FakeStore()
    plan = plan_for(store, [res("hub.assets.a", "assets")])
    providers = providers_for(store)
    flaky = _AlwaysAmbiguous(providers["hub"])
    report = await execute(plan, {**providers, "hub": flaky}, ctx=ApplyContext(),  # type: ignore[dict-item]
                           retries=50, retry_delay=0)
    assert flaky.runs == FAILED_ATTEMPTS_PER_CHANGE
    assert list(report.failed) == ["hub.assets.a"]
    assert current_budget() is None  # the budget belongs to the change, not to the caller


async def test_replace_runs_delete_then_create_and_dependents_follow() -> None:
    store = FakeStore()
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    store.put("hub.assets.x", "assets", {}, ["hub.asset_types.T"])
    store.put("hub.assets.old", "assets", {})
    desired = [res("hub.asset_types.T", "asset_types", parent="b"),
               res("hub.assets.x", "assets", ["hub.asset_types.T"])]
    plan = plan_for(store, desired)
    old_id = store.objects["hub.asset_types.T"].server_id
    ctx = ApplyContext()
    report = await execute(plan, providers_for(store), ctx=ctx, parallelism=4)
    assert report.ok, report.failed
    at = store.writes.index
    assert at(("delete", "hub.assets.x")) < at(("delete", "hub.asset_types.T"))
    assert at(("delete", "hub.asset_types.T")) < at(("create", "hub.asset_types.T"))
    assert at(("create", "hub.asset_types.T")) < at(("create", "hub.assets.x"))
    assert ctx.ids["hub.asset_types.T"] != old_id
    assert "hub.assets.old" not in ctx.ids
    assert plan_for(store, desired).changes == ()
    ops = {(op.address, op.op) for op in report.applied}
    assert ("hub.asset_types.T", Action.DELETE) in ops and ("hub.asset_types.T", Action.CREATE) in ops

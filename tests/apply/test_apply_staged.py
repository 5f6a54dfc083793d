"""The executor's deadline and staged rollout, on the fake engine (`engine_fakes`).

Clocks here count the fake service's writes, so where a deadline falls depends on progress only.
"""

from __future__ import annotations

from itertools import pairwise

from engine_fakes import FakeStore, Faults, plan_for, providers_for, res

from provisioner.apply import EXIT_DEADLINE, ApplyEvent, Deadline, EventKind, Rollout, RolloutPolicy, execute
from provisioner.apply.report import EXIT_PARTIAL
from provisioner.apply.rollout import TYPES, group_order
from provisioner.cli import exit_codes
from provisioner.model import ApplyContext
from provisioner.render import sites


def tree(width: int = 3) -> list:  # type: ignore[type-arg]
    """hub.assets.root <- hub.assets.s{i} <- hub.mappings.m{i}; plus iot.devices.d{i} (independent)."""
    desired = [res("hub.assets.root", "assets")]
    for i in range(width):
        desired.append(res(f"hub.assets.s{i}", "assets", ["hub.assets.root"]))
        desired.append(res(f"hub.mappings.m{i}", "mappings", [f"hub.assets.s{i}"]))
        desired.append(res(f"iot.devices.d{i}", "devices"))
    return desired


def groups(width: int = 3) -> dict[str, str]:
    """The root shared (the types group), each i's asset, mapping and device one group `g{i}`."""
    found = {"hub.assets.root": TYPES}
    for i in range(width):
        found |= {f"hub.assets.s{i}": f"g{i}", f"hub.mappings.m{i}": f"g{i}", f"iot.devices.d{i}": f"g{i}"}
    return found


def test_the_shared_group_is_the_renderers() -> None:
    assert TYPES == sites.TYPES
    assert exit_codes.DEADLINE == EXIT_DEADLINE


async def test_no_change_starts_that_would_end_past_the_deadline() -> None:
    store = FakeStore()
    plan = plan_for(store, [res("hub.assets.big", "assets"), res("iot.devices.small", "devices")])
    writes = lambda: float(len(store.writes))  # noqa: E731
    # an asset create is 2 calls (0.6 s at the estimate's 0.3 s a call), a device 1 call (0.3 s)
    report = await execute(plan, providers_for(store), ctx=ApplyContext(),
                           deadline=Deadline.after(0.5, writes))
    assert [op.address for op in report.applied] == ["iot.devices.small"]
    assert report.not_started == ["hub.assets.big"] and "hub.assets.big" not in store.objects
    assert report.stopped == "deadline reached" and report.exit_code() == EXIT_DEADLINE


async def test_in_flight_changes_finish_and_dependents_of_what_did_not_start_wait() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    events: list[ApplyEvent] = []
    writes = lambda: float(len(store.writes))  # noqa: E731
    report = await execute(plan, providers_for(store, delay=0.001), parallelism=1, ctx=ApplyContext(),
                           deadline=Deadline.after(2.0, writes), on_event=events.append)
    started = [e.node.address for e in events if e.kind is EventKind.STARTED]
    finished = [e.node.address for e in events if e.kind is EventKind.FINISHED]
    assert started == finished and 0 < len(finished) < len(plan.changes)  # everything started finished
    assert sorted(report.not_started) == sorted({c.address for c in plan.changes} - set(finished))
    assert set(store.objects) == set(finished)
    assert not report.failed and not report.skipped and report.exit_code() == EXIT_DEADLINE
    assert {e.node.address for e in events if e.kind is EventKind.NOT_STARTED} <= set(report.not_started)


async def test_canary_failure_starts_no_other_group() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    rollout = Rollout(RolloutPolicy(canary=1), plan.graph(), groups())
    report = await execute(plan, providers_for(store, faults=Faults(permanent={"hub.assets.s0"})),
                           ctx=ApplyContext(), rollout=rollout)
    assert report.stopped == "canary failed: group g0"
    assert set(store.objects) == {"hub.assets.root", "iot.devices.d0"}
    assert [(g.name, g.status) for g in report.groups] == [
        (TYPES, "done"), ("g0", "failed"), ("g1", "not started"), ("g2", "not started")]
    assert report.exit_code() == EXIT_PARTIAL


async def test_max_failures_stops_starting_groups_once_past_the_budget() -> None:
    for percent, untouched in ((30.0, set()), (20.0, {"g2"})):  # 1 failed group of 4 is 25%
        store = FakeStore()
        plan = plan_for(store, tree())
        rollout = Rollout(RolloutPolicy(max_failures=percent), plan.graph(), groups())
        report = await execute(plan, providers_for(store, faults=Faults(permanent={"hub.assets.s1"})),
                               ctx=ApplyContext(), rollout=rollout)
        outcome = {g.name: g.status for g in report.groups}
        assert outcome == {TYPES: "done", "g0": "done", "g1": "failed",
                           "g2": "not started" if untouched else "done"}, percent
        g2 = {"hub.assets.s2", "hub.mappings.m2", "iot.devices.d2"}
        assert g2 & set(store.objects) == (set() if untouched else g2)


async def test_one_group_at_a_time_by_default() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    rollout = Rollout(RolloutPolicy(), plan.graph(), groups())
    assert (await execute(plan, providers_for(store, delay=0.001), ctx=ApplyContext(), rollout=rollout)).ok
    spans = {}
    for _kind, _op, address, at in store.events:
        group = groups()[address]
        low, high = spans.get(group, (at, at))
        spans[group] = (min(low, at), max(high, at))
    order = [TYPES, "g0", "g1", "g2"]
    for before, after in pairwise(order):  # a group starts once the last has ended
        assert spans[before][1] <= spans[after][0], (before, after, spans)


def test_groups_follow_their_dependencies_then_the_site_key() -> None:
    store = FakeStore()
    plan = plan_for(store, [res("hub.assets.a", "assets", ["hub.assets.b"]), res("hub.assets.b", "assets"),
                            res("iot.devices.a", "devices"), res("hub.aspect_types.T", "aspect_types")])
    named = {"hub.assets.a": "assets.z", "hub.assets.b": "assets.y", "iot.devices.a": "connections.a",
             "hub.aspect_types.T": TYPES}
    graph = plan.graph()
    assert group_order({n: named[n.address] for n in graph.changes}, graph) == [
        TYPES, "connections.a", "assets.y", "assets.z"]


async def test_a_deadline_during_a_rollout_leaves_groups_unfinished_or_not_started() -> None:
    store = FakeStore()
    plan = plan_for(store, tree())
    writes = lambda: float(len(store.writes))  # noqa: E731
    rollout = Rollout(RolloutPolicy(), plan.graph(), groups())
    # one change at a time, one write each: the deadline after 2.5 writes cuts g0 part-way
    report = await execute(plan, providers_for(store), parallelism=1, ctx=ApplyContext(), rollout=rollout,
                           deadline=Deadline.after(2.5, writes))
    outcome = {g.name: g.status for g in report.groups}
    assert outcome == {TYPES: "done", "g0": "unfinished", "g1": "not started", "g2": "not started"}
    assert report.exit_code() == EXIT_DEADLINE and report.stopped == "deadline reached"

"""Random DAGs and random failures: the executor's ordering and skipping guarantees hold."""

from __future__ import annotations

import asyncio

from engine_fakes import FakeStore, Faults, kind, providers_for
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.apply import ApplyEvent, EventKind, execute
from provisioner.model import Action, ApplyContext, Change
from provisioner.plan import Node, build_graph


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[Change], set[str]]:
    size = draw(st.integers(min_value=1, max_value=14))
    changes = []
    for i in range(size):
        deps = draw(st.sets(st.integers(min_value=0, max_value=i - 1), max_size=3)) if i else set()
        platform = draw(st.sampled_from(["hub", "iot"]))
        changes.append(Change(Action.CREATE, f"{platform}.things.n{i}", "things", None, {},
                              depends_on=tuple(sorted(f"x.n{d}" for d in deps))))
    names = {f"x.n{i}": c.address for i, c in enumerate(changes)}
    changes = [Change(c.action, c.address, c.kind, None, {}, depends_on=tuple(names[d] for d in c.depends_on))
               for c in changes]
    failing = draw(st.sets(st.sampled_from([c.address for c in changes]), max_size=3))
    return changes, failing


@settings(max_examples=60, deadline=None)
@given(dags(), st.integers(min_value=1, max_value=4))
def test_order_skip_and_completeness(dag: tuple[list[Change], set[str]], parallelism: int) -> None:
    changes, failing = dag
    graph = build_graph(changes)
    store = FakeStore()
    providers = providers_for(store, faults=Faults(permanent=set(failing)))
    for provider in providers.values():
        provider._kinds["things"] = kind("things", provider.platform)
    events: list[ApplyEvent] = []
    report = asyncio.run(execute(graph, providers, parallelism=parallelism, ctx=ApplyContext(),
                                 on_event=events.append, retry_delay=0))

    deps = {c.address: set(c.depends_on) for c in changes}
    doomed: set[str] = set()
    failed: set[str] = set()
    for c in changes:  # in index order, so dependencies come first
        if deps[c.address] & doomed:
            doomed.add(c.address)
        elif c.address in failing:
            doomed.add(c.address)
            failed.add(c.address)
    finished_at: dict[str, int] = {}
    for index, event in enumerate(events):
        address = event.node.address
        if event.kind is EventKind.STARTED:
            assert address not in doomed - failed, f"{address} ran although a dependency failed"
            assert all(d in finished_at for d in deps[address]), f"{address} started before its deps"
        elif event.kind is EventKind.FINISHED:
            finished_at[address] = index
    assert set(report.failed) == failed
    assert set(report.skipped) == doomed - failed
    assert {op.address for op in report.applied} == {c.address for c in changes} - doomed
    assert set(store.objects) == {c.address for c in changes} - doomed
    assert all(n == Node(n.address, Action.CREATE) for n in graph.changes)

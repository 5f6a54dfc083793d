from __future__ import annotations

import pytest
from engine_fakes import kind

from provisioner.model import Action, Change
from provisioner.plan import build_graph, estimate_plan
from provisioner.plan.estimate import quota_seconds

KINDS = {
    "hub.assets": kind("assets", "hub", 0, create_calls=2, delete_calls=3, endpoint_class="am"),
    "iot.devices": kind("devices", "iot", 0, endpoint_class="iot"),
}


def create(address: str, kind_name: str, *deps: str) -> Change:
    return Change(Action.CREATE, address, kind_name, None, {}, depends_on=deps)


def test_calls_per_platform_and_class_with_replace_as_delete_plus_create() -> None:
    changes = [
        create("hub.assets.a", "assets"),
        Change(Action.REPLACE, "hub.assets.b", "assets", {}, {}, server_id="x"),
        Change(Action.UPDATE, "hub.assets.c", "assets", {}, {}, server_id="y"),
        create("iot.devices.d", "devices"),
    ]
    est = estimate_plan(build_graph(changes), KINDS, latency=1.0, concurrency=100)
    assert est.calls_by_platform == {"hub": 2 + (3 + 2) + 1, "iot": 1}
    assert est.calls_by_class == {"am": 8, "iot": 1}
    assert est.calls == 9
    assert est.critical_path_seconds == 5.0  # replace: delete (3) then create (2)


def test_duration_is_the_largest_bound() -> None:
    chain = [create(f"hub.assets.a{i}", "assets", *([f"hub.assets.a{i - 1}"] if i else [])) for i in range(3)]
    flat = [create(f"iot.devices.d{i}", "devices") for i in range(40)]
    graph = build_graph(chain + flat)
    est = estimate_plan(graph, KINDS, latency=0.5, concurrency={"iot": 4, "hub": 1})
    assert est.critical_path_seconds == pytest.approx(3 * 2 * 0.5)
    assert est.throughput_seconds == pytest.approx(40 / 4 * 0.5)
    assert est.quota_seconds == 0.0
    assert est.seconds == pytest.approx(5.0)
    limited = estimate_plan(graph, KINDS, latency=0.5, concurrency=4, rate_limits={"iot": [(10, 60.0)]})
    assert limited.quota_seconds == pytest.approx(3 * 60.0)
    assert limited.seconds == pytest.approx(180.0)


def test_quota_seconds() -> None:
    assert quota_seconds(0, [(10, 60.0)]) == 0.0
    assert quota_seconds(10, [(10, 60.0)]) == 0.0
    assert quota_seconds(11, [(10, 60.0)]) == 60.0
    assert quota_seconds(100, [(10, 1.0), (50, 60.0)]) == 60.0
    assert quota_seconds(5, []) == 0.0


def test_the_quota_bound_runs_at_the_platforms_time_scale() -> None:
    graph = build_graph([create(f"iot.devices.d{i}", "devices") for i in range(40)])
    rules = {"iot": [(10, 60.0)]}
    real = estimate_plan(graph, KINDS, latency=0.0, rate_limits=rules)
    fast = estimate_plan(graph, KINDS, latency=0.0, rate_limits=rules, time_scale={"iot": 100.0, "hub": 1.0})
    assert real.quota_seconds == 180.0 and fast.quota_seconds == pytest.approx(1.8)
    assert fast.quota_rules == {"iot": ((10, 60.0),)} and fast.quota_scale == {"iot": 100.0}
    assert fast.binding_class == "iot" and fast.class_quota_seconds("iot", 11) == pytest.approx(0.6)
    assert estimate_plan(graph, KINDS, latency=1.0, rate_limits=rules, time_scale=100).binding_class is None


def test_a_call_model_spreads_a_node_over_endpoint_classes_and_overhead_counts_once_per_platform() -> None:
    def calls(op: Action, change: Change, planned: object) -> dict[str, int]:
        return {"am.post": 1, "agm.post": 1} if op is Action.CREATE else {"agm.delete": 3}

    kinds = {**KINDS, "hub.agents": kind("agents", "hub", 0, calls=calls)}
    changes = [create("hub.agents.a", "agents"), create("hub.agents.b", "agents"),
               Change(Action.DELETE, "hub.agents.c", "agents", {}, None, server_id="c")]
    est = estimate_plan(build_graph(changes), kinds, latency=1.0, concurrency=100,
                        rate_limits={"am.post": [(1, 60.0)]},
                        overhead={"hub": {"lease": 2}, "iot": {"lease": 5}})
    assert est.calls_by_class == {"am.post": 2, "agm.post": 2, "agm.delete": 3, "lease": 2}
    assert est.calls_by_platform == {"hub": 9}  # no iTwin change: no iTwin overhead
    assert est.quota_seconds == 60.0 and est.critical_path_seconds == 3.0

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

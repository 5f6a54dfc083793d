from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_fakes import FakeStore, plan_for, res

from provisioner.errors import ProvisionError
from provisioner.model import Resource, UnmanagedObject
from provisioner.plan import Plan, read_plan, write_plan
from provisioner.plan.planfile import checksum, plan_to_json, preconditions_of


def sample_plan(store: FakeStore) -> Plan:
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    store.put("hub.assets.old", "assets", {"name": "old"}, ["hub.asset_types.T"])
    store.unmanaged["hub"] = [UnmanagedObject("assets", "foreign-1", "Someone else's")]
    desired = [res("hub.asset_types.T", "asset_types", parent="b"), res("hub.assets.new", "assets", name="ü")]
    return plan_for(store, desired, rate_limits={"default": [(1, 10.0)]})


def test_round_trip_keeps_every_field(tmp_path: Path, store: FakeStore) -> None:
    plan = sample_plan(store)
    path = tmp_path / "out" / "plan.json"
    digest = write_plan(plan, path, config_digest="sha256:abc", stack="plant")
    saved = read_plan(path)
    assert saved.plan == plan
    assert (saved.stack, saved.config_digest, saved.checksum) == ("plant", "sha256:abc", digest)
    data = json.loads(path.read_text())
    assert data["format_version"] == 4
    assert data["preconditions"] == [
        {"address": c.address, "server_id": c.server_id, "precondition": c.precondition}
        for c in plan.changes if c.server_id
    ]
    assert {p["address"] for p in data["preconditions"]} == {"hub.asset_types.T", "hub.assets.old"}


def test_file_holds_only_what_the_plan_had(tmp_path: Path, store: FakeStore) -> None:
    plan = sample_plan(store)
    path = tmp_path / "plan.json"
    write_plan(plan, path, config_digest="d", stack="s")

    def strings(value: object) -> set[str]:
        if isinstance(value, str):
            return {value}
        if isinstance(value, dict):
            return set(value) | {s for v in value.values() for s in strings(v)}
        if isinstance(value, list):
            return {s for v in value for s in strings(v)}
        return set()

    data = json.loads(path.read_text())
    written = strings({k: v for k, v in data.items() if k not in ("checksum", "created_at")})
    known = strings(plan_to_json(plan)) | strings(preconditions_of(plan)) | {"d", "s"}
    keys = {"format_version", "stack", "config_digest", "plan", "preconditions"}
    assert written - keys <= known


def test_tampered_file_is_refused(tmp_path: Path, store: FakeStore) -> None:
    path = tmp_path / "plan.json"
    write_plan(sample_plan(store), path, config_digest="d", stack="s")
    data = json.loads(path.read_text())
    data["plan"]["changes"][0]["after"] = {"parent": "evil"}
    path.write_text(json.dumps(data))
    with pytest.raises(ProvisionError, match="modified after it was written"):
        read_plan(path)


def test_truncated_missing_and_foreign_files_are_refused(tmp_path: Path, store: FakeStore) -> None:
    path = tmp_path / "plan.json"
    write_plan(sample_plan(store), path, config_digest="d", stack="s")
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ProvisionError, match="truncated"):
        read_plan(path)
    with pytest.raises(ProvisionError, match="does not exist"):
        read_plan(tmp_path / "nope.json")
    path.write_text('{"format_version": 2}')
    with pytest.raises(ProvisionError, match="not a provision plan"):
        read_plan(path)
    data = json.loads(text)
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ProvisionError, match="format version 99"):
        read_plan(path)


def test_typed_decision_fields_survive_the_file(tmp_path: Path, store: FakeStore) -> None:
    store.put("hub.assets.pinned", "assets", {"name": "p"}, marked=False)
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    desired = [res("hub.assets.pinned", "assets", name="p"),
               Resource("hub.asset_types.T", "asset_types", {"parent": "b"}, protect=True)]
    plan = plan_for(store, desired)
    path = tmp_path / "plan.json"
    write_plan(plan, path, config_digest="d", stack="s")
    loaded = read_plan(path).plan
    flags = {c.address: (c.adopt, c.protected) for c in loaded.changes}
    assert flags == {"hub.assets.pinned": (True, False), "hub.asset_types.T": (False, True)}


def test_a_version_2_file_without_typed_fields_asks_to_plan_again(tmp_path: Path, store: FakeStore) -> None:
    path = tmp_path / "plan.json"
    write_plan(sample_plan(store), path, config_digest="d", stack="s")
    data = json.loads(path.read_text())
    data.pop("checksum")
    data["format_version"] = 2
    for change in data["plan"]["changes"]:
        del change["adopt"], change["protected"]
    data["checksum"] = checksum(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ProvisionError, match="version 2; this provision reads version 4: run plan again"):
        read_plan(path)

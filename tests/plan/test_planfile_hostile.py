"""Tampered plan files: every malformed file is one clear ProvisionError (exit 1), never a traceback.

Most cases recompute the checksum, as an attacker editing the file would, so the shape checks
behind it are what refuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_fakes import FakeStore, plan_for, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.errors import ProvisionError
from provisioner.plan import planfile as planfile_module
from provisioner.plan import read_plan, write_plan
from provisioner.plan.planfile import checksum

PLATFORMS = {"hub", "iot"}


def _write(tmp_path: Path, store: FakeStore) -> Path:
    store.put("hub.assets.old", "assets", {"name": "old"})
    desired = [res("hub.assets.new", "assets", name="x"), res("hub.assets.old", "assets", name="y")]
    plan = plan_for(store, desired)
    path = tmp_path / "plan.json"
    write_plan(plan, path, config_digest="sha256:abc", stack="plant")
    return path


def _resign(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    data.pop("checksum")
    edit(data)
    data["checksum"] = checksum(data)
    path.write_text(json.dumps(data))


def _refused(path: Path, match: str) -> None:
    with pytest.raises(ProvisionError, match=match) as caught:
        read_plan(path, platforms=PLATFORMS)
    assert caught.value.exit_code == 1


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize(("edit", "match"), [
    (_set(("plan", "unmanaged"), []), r"plan\.unmanaged: expected an object, found list"),
    (_set(("plan", "managed"), {"mars": 1}), r"plan\.managed: unknown platform 'mars'"),
    (_set(("plan", "changes", 0, "server_id"), 12345), r"server_id: expected a string or null, found int"),
    (_set(("plan", "changes", 0, "action"), "explode"), "unknown action 'explode'"),
    (_set(("plan", "changes", 0, "depends_on"), "hub.assets.x"), "depends_on: expected a list"),
    (_set(("plan", "changes", 0, "data_destructive"), "no"), "data_destructive: expected true or false"),
    (_set(("plan", "changes", 0, "after"), [1]), r"after: expected an object"),
    (_set(("plan", "unchanged"), True), "unchanged: expected a non-negative integer"),
    (_set(("plan", "estimate", "quota_seconds"), "soon"), "quota_seconds: expected a finite number"),
    (_set(("stack",), ["plant"]), "stack: expected a string"),
    (_set(("plan", "changes", 0, "after"), {"a": _nested(70)}), "deeper than 64"),
], ids=["unmanaged-list", "unknown-platform", "int-server-id", "unknown-action", "depends-on-str",
        "destructive-str", "after-list", "unchanged-bool", "estimate-str", "stack-list", "deep-attrs"])
def test_resigned_tampered_shapes_are_refused(tmp_path: Path, store: FakeStore,
                                              edit: Callable[[dict[str, Any]], None], match: str) -> None:
    path = _write(tmp_path, store)
    _resign(path, edit)
    _refused(path, match)


def test_unknown_kind_is_refused_when_the_kinds_are_known(tmp_path: Path, store: FakeStore) -> None:
    path = _write(tmp_path, store)
    with pytest.raises(ProvisionError, match="unknown kind 'assets'"):
        read_plan(path, platforms=PLATFORMS, kinds={"asset_types"})


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_a_plan_file_is_refused(tmp_path: Path, store: FakeStore, literal: str) -> None:
    path = _write(tmp_path, store)
    key = '"critical_path_seconds": '
    text = path.read_text().replace(key, f'{key}{literal}, "x": ', 1)
    path.write_text(text)
    _refused(path, f"{literal.lstrip('-')} is not a JSON number")


def test_huge_integer_literal_is_refused(tmp_path: Path, store: FakeStore) -> None:
    path = _write(tmp_path, store)
    path.write_text(path.read_text().replace('"unchanged": ', '"unchanged": ' + "9" * 5000 + ', "x": ', 1))
    _refused(path, "5000 digits")


def test_deep_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    _refused(path, "nested too deeply")


def test_checksum_over_an_unencodable_value_is_a_clear_error(tmp_path: Path, store: FakeStore) -> None:
    path = _write(tmp_path, store)
    path.write_text(path.read_text().replace('"stack": "plant"', '"stack": "\\ud800"', 1))
    _refused(path, "malformed: UnicodeEncodeError")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, store: FakeStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, store)
    monkeypatch.setattr(planfile_module, "MAX_PLAN_BYTES", 100)
    _refused(path, "larger than the limit of 100 bytes")


def test_a_directory_and_binary_garbage_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path, "is a directory")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    _refused(tmp_path / "bin.json", "not valid JSON")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_resigned_values_are_clear_errors_or_plans(tmp_path: Path, data: st.DataObject) -> None:
    """Replace any one value of a real plan file (checksum recomputed): read_plan succeeds or
    raises ProvisionError; nothing else escapes."""
    store = FakeStore()
    path = _write(tmp_path, store)
    original = json.loads(path.read_text())
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, prefix: tuple[Any, ...]) -> None:
        if prefix:
            paths.append(prefix)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*prefix, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*prefix, i))

    walk({k: v for k, v in original.items() if k != "checksum"}, ())
    target = data.draw(st.sampled_from(paths))
    value = data.draw(json_values)
    try:
        _resign(path, _set(target, value))
    except ValueError:
        return  # checksum() refuses NaN/Infinity, so no such file can be signed (NaN is tested above)
    try:
        read_plan(path, platforms=PLATFORMS)
    except ProvisionError as exc:
        assert exc.exit_code == 1 and str(path) in exc.message


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_arbitrary_bytes_are_clear_errors(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(raw)
    with pytest.raises(ProvisionError):
        read_plan(path)

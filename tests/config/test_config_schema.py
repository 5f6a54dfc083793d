"""The committed JSON schema matches the models and accepts the examples' YAML files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from provisioner.config.schemadoc import schema_json

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "provision.schema.json"


def test_committed_schema_matches_the_models() -> None:
    assert SCHEMA_FILE.read_text() == schema_json(), (
        "schemas/provision.schema.json is stale: run `provision schema > schemas/provision.schema.json`"
    )


def test_schema_command_prints_it(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_cli("schema")
    assert code == 0
    assert json.loads(out) == json.loads(SCHEMA_FILE.read_text())


PROJECT_FILES = sorted(p for p in (REPO / "examples").rglob("*.yaml") if not {"vars", "env"} & set(p.parts))


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_conform_to_the_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    data = YAML(typ="safe", pure=True).load(path.read_text())
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_unknown_fields_and_literal_secrets() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    assert not validator.is_valid(
        {"insights_hub": {"assets": {"a": {"name": "A", "type": "t", "colour": 1}}}}
    )
    auth = {"client_id": "x", "client_secret": "literal"}
    assert not validator.is_valid(
        {"platforms": {"insights_hub": {"tenant": "t", "region": "eu1", "auth": auth}}}
    )


def _properties(schema: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    nodes = [("(file)", schema), *schema["$defs"].items()]  # type: ignore[attr-defined]
    return [(owner, name, prop) for owner, node in nodes
            for name, prop in node.get("properties", {}).items()]


def test_at_least_95_percent_of_schema_properties_have_a_description() -> None:
    props = _properties(json.loads(SCHEMA_FILE.read_text()))
    described = [p for p in props if str(p[2].get("description", "")).strip()]
    missing = [f"{owner}.{name}" for owner, name, prop in props if prop not in [d[2] for d in described]]
    assert len(props) > 100
    assert len(described) / len(props) >= 0.95, missing


def test_every_field_doc_names_a_real_field() -> None:
    from provisioner.config import schema as models
    from provisioner.config.field_docs import FIELD_DOCS

    for model_name, docs in FIELD_DOCS.items():
        model = getattr(models, model_name)
        assert set(docs) <= set(model.model_fields), (model_name, set(docs) - set(model.model_fields))


OVERLAY_FILE = REPO / "schemas" / "overlay.schema.json"
OVERLAYS = sorted((REPO / "examples").glob("*/env/*.yaml"))


def test_committed_overlay_schema_matches_the_models() -> None:
    from provisioner.config.schemadoc import overlay_json

    assert OVERLAY_FILE.read_text() == overlay_json()


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_overlays_validate_against_their_schema_but_not_the_project_one(path: Path) -> None:
    data = YAML(typ="safe", pure=True).load(path.read_text())
    jsonschema.Draft202012Validator(json.loads(OVERLAY_FILE.read_text())).validate(data)
    assert not jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).is_valid(data)


def test_overlay_schema_still_rejects_typos_and_literal_secrets() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(OVERLAY_FILE.read_text()))
    assert validator.is_valid({"platforms": {"insights_hub": {"gateway": None, "region": "eu1"}}})
    assert not validator.is_valid({"platforms": {"insights_hub": {"tenat": "acme"}}})
    assert not validator.is_valid({"platforms": {"itwin_iot": {"auth": {"api_key": "literal"}}}})


@pytest.mark.parametrize("path", [*PROJECT_FILES, *OVERLAYS], ids=lambda p: str(p.relative_to(REPO)))
def test_each_example_header_points_at_a_current_schema_next_to_it(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target.is_relative_to(path.parents[1] if path.parent.name == "env" else path.parent)
    assert target.read_text() == (REPO / "schemas" / target.name).read_text()


def test_schema_write_puts_both_schemas_where_the_header_finds_them(
        tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run_cli("schema", "--write", str(tmp_path))
    assert code == 0
    assert "$schema=schemas/provision.schema.json" in out and "$schema=../schemas/overlay.schema.json" in out
    assert (tmp_path / "schemas" / "provision.schema.json").read_text() == SCHEMA_FILE.read_text()
    assert (tmp_path / "schemas" / "overlay.schema.json").read_text() == OVERLAY_FILE.read_text()

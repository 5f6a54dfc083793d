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

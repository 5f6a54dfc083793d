"""The JSON schemas of the configuration files, generated from the pydantic models.

Two schemas: one for a project file and one for an env overlay (`env/NAME.yaml`), which is
deep-merged over the project, so every field is optional there, `null` removes a setting, and
`vars:` sets template variables. Every property carries a description for editor hovers: the
model's own (field or class docstring) or the sentence in `field_docs.FIELD_DOCS`.
`provision schema --write DIR` puts both next to a project, so the files' header
(`# yaml-language-server: $schema=schemas/provision.schema.json`) works wherever it is copied.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from provisioner.config.field_docs import FIELD_DOCS
from provisioner.config.schema import ProjectConfig

SCHEMA_ID = "https://provision.invalid/schemas/provision.schema.json"
OVERLAY_ID = "https://provision.invalid/schemas/overlay.schema.json"
SCHEMA_FILE = "provision.schema.json"
OVERLAY_FILE = "overlay.schema.json"
PROJECT_HEADER = f"# yaml-language-server: $schema=schemas/{SCHEMA_FILE}"
OVERLAY_HEADER = f"# yaml-language-server: $schema=../schemas/{OVERLAY_FILE}"


def _describe(properties: dict[str, Any], docs: dict[str, str]) -> None:
    for name, prop in properties.items():
        text = docs.get(name)
        if text and "description" not in prop:
            prop["description"] = text


def _described(schema: dict[str, Any]) -> dict[str, Any]:
    _describe(schema.get("properties", {}), FIELD_DOCS.get("ProjectConfig", {}))
    for name, definition in schema.get("$defs", {}).items():
        _describe(definition.get("properties", {}), FIELD_DOCS.get(name, {}))
    return schema


def schema_document() -> dict[str, Any]:
    """The schema of one project file: the project's shape with every top-level key optional
    (a project's files are merged, so each file holds only part of it)."""
    schema = _described(ProjectConfig.model_json_schema(mode="validation"))
    schema.pop("required", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "provision project file",
        "description": "One YAML file of a provision project. Files are merged; templates (*.j2) are "
        "rendered first. See docs/config.md.",
    }


_DROPPED_IN_OVERLAY = ("required", "minProperties")


def _merge_alternatives(schema: dict[str, Any]) -> None:
    """A choice of object shapes (`auth`: API key or IMS credentials) becomes one object with the
    fields of all: an overlay may switch shapes by nulling one's fields and setting the other's."""
    defs = schema.get("$defs", {})
    for definition in defs.values():
        for name, prop in definition.get("properties", {}).items():
            refs = [alt.get("$ref", "") for alt in prop.get("oneOf", [])]
            if not refs or not all(r.startswith("#/$defs/") for r in refs):
                continue
            fields: dict[str, Any] = {}
            for ref in refs:
                fields.update(defs[ref.removeprefix("#/$defs/")].get("properties", {}))
            merged = {"type": "object", "additionalProperties": False, "properties": copy.deepcopy(fields)}
            if "description" in prop:
                merged["description"] = prop["description"]
            definition["properties"][name] = merged


def _optional_and_nullable(node: Any) -> Any:
    """Every object property optional and nullable, at any depth (`null` removes a setting)."""
    if isinstance(node, dict):
        node = {k: _optional_and_nullable(v) for k, v in node.items() if k not in _DROPPED_IN_OVERLAY}
        for name, prop in node.get("properties", {}).items():
            if isinstance(prop, dict) and "const" not in prop:
                text = prop.get("description")
                kept = {k: v for k, v in prop.items() if k not in ("description", "title", "default")}
                nullable: dict[str, Any] = {"anyOf": [kept, {"type": "null"}]}
                if text:
                    nullable["description"] = text
                node["properties"][name] = nullable
        return node
    if isinstance(node, list):
        return [_optional_and_nullable(v) for v in node]
    return node


def overlay_document() -> dict[str, Any]:
    """The schema of an env overlay: the project's shape, all optional and nullable, plus `vars`."""
    base = copy.deepcopy(schema_document())
    _merge_alternatives(base)
    overlay: dict[str, Any] = _optional_and_nullable(base)
    overlay["$id"] = OVERLAY_ID
    overlay["title"] = "provision env overlay"
    overlay["description"] = ("An env overlay (env/NAME.yaml, chosen with --env NAME): deep-merged over the "
                              "project; null removes a setting; vars sets template variables.")
    overlay["properties"]["vars"] = {
        "type": "object",
        "description": "Template variables for this environment (override vars/ files, lose to --var-file "
                       "and --var).",
    }
    return overlay


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def schema_json() -> str:
    return _dump(schema_document())


def overlay_json() -> str:
    return _dump(overlay_document())


def write_schemas(directory: Path) -> list[Path]:
    """Write both schemas into `directory/schemas/`; the paths written."""
    target = directory / "schemas"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((SCHEMA_FILE, schema_json()), (OVERLAY_FILE, overlay_json())):
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

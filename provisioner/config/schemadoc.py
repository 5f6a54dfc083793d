"""The JSON schema of the configuration files, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from provisioner.config.schema import ProjectConfig

SCHEMA_ID = "https://provision.invalid/schemas/provision.schema.json"


def schema_document() -> dict[str, Any]:
    """The schema of one project file: the project's shape with every top-level key optional
    (a project's files are merged, so each file holds only part of it)."""
    schema = ProjectConfig.model_json_schema(mode="validation")
    schema.pop("required", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "provision project file",
        "description": "One YAML file of a provision project. Files are merged; templates (*.j2) are "
        "rendered first. See docs/config.md.",
    }


def schema_json() -> str:
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"

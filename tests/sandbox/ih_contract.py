"""Validation of responses against the vendor's Swagger 2.0 files (copies in vendor_openapi/)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from ruamel.yaml import YAML

# Verbatim copies of shared/reference/insights-hub-openapi (provenance in SOURCE.md there), kept in
# the repository so that the contract tests run from a clone anywhere.
SPEC_DIR = Path(__file__).resolve().parent / "vendor_openapi"
SPECS = {
    "am": "assetmanagement-v3-18-4.yaml",
    "agm": "agentmanagement-v3-5-2.yaml",
    "mc": "mindconnect-v3-6-0.yaml",
}
# statuses a spec leaves out get the service's own error definition
FALLBACK_ERROR = {"am": "errors", "agm": "Error", "mc": "error"}
EVENT_ERROR = "Errors"
# observed on real tenants (the recorded `GET /assets` of vendor-evidence.md divergence 6): these asset
# fields come as explicit nulls although the schema types them without null; validated as absent
OBSERVED_NULLS = frozenset({"externalId", "t2Tenant", "subTenant", "location", "deleted"})


def without_observed_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: without_observed_nulls(v)
            for k, v in node.items()
            if not (v is None and k in OBSERVED_NULLS)
        }
    if isinstance(node, list):
        return [without_observed_nulls(v) for v in node]
    return node


def _python_patterns(node: Any) -> Any:
    """Java regex classes the spec uses (\\p{L}) rewritten for Python's re (letters → \\w)."""
    if isinstance(node, dict):
        return {
            k: (v.replace("\\p{L}", "\\w") if k == "pattern" else _python_patterns(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


@functools.cache
def spec(service: str) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load((SPEC_DIR / SPECS[service]).read_text(encoding="utf-8"))
    return _python_patterns(loaded)  # type: ignore[no-any-return]


def _schema(service: str, template: str, method: str, status: int) -> dict[str, Any] | None:
    doc = spec(service)
    operation = doc["paths"][template][method.lower()]
    responses = operation["responses"]
    entry = responses.get(str(status)) or (responses.get("default") if status >= 400 else None)
    if entry is None or "schema" not in entry:
        if status < 400:
            return None
        name = EVENT_ERROR if template.startswith("/eventMappings") else FALLBACK_ERROR[service]
        return {"$ref": f"#/definitions/{name}"}
    return dict(entry["schema"])


def check(service: str, template: str, response: httpx.Response, method: str | None = None) -> Any:
    """Assert `response` conforms to the spec's schema for its operation and status; return the body."""
    method = method or response.request.method
    assert template in spec(service)["paths"], f"{template} is not an operation of {service}"
    schema = _schema(service, template, method, response.status_code)
    if schema is None:
        assert response.status_code in (204, 304) or not response.content, response.text
        return None
    body = response.json()
    validate(service, schema, without_observed_nulls(body) if service == "am" else body)
    return body


def validate(service: str, schema: dict[str, Any], body: Any) -> None:
    root = {"definitions": spec(service)["definitions"], **schema}
    jsonschema.Draft4Validator(root).validate(body)


def pattern_ok(pattern: str, value: str) -> bool:
    return re.search(pattern, value) is not None


__all__ = ["check", "pattern_ok", "spec", "validate", "without_observed_nulls"]

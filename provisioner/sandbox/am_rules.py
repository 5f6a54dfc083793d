"""Asset Management model rules: id/name patterns, limits, variable definitions, allowed changes."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from provisioner.sandbox.errors import HttpError

Doc = dict[str, Any]

TYPE_ID = re.compile(r"[A-Za-z0-9_]{1,8}\.[A-Za-z0-9_]+")
ASPECT_TYPE_NAME = re.compile(r"[a-zA-Z0-9_]+")
ASSET_TYPE_NAME = re.compile(r"[\w. ]+")
ASPECT_NAME = re.compile(r"[a-zA-Z0-9_]+")
VARIABLE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ASSET_ID = re.compile(r"[0-9a-fA-F]{32}")
RESERVED = frozenset(
    {
        "id",
        "name",
        "description",
        "tenant",
        "etag",
        "scope",
        "properties",
        "propertysets",
        "extends",
        "variables",
        "aspects",
        "parenttypeid",
    }
)
DATA_TYPES = ("BOOLEAN", "INT", "LONG", "DOUBLE", "STRING", "TIMESTAMP", "BIG_STRING")
MAX_ASPECT_TYPE_BYTES = 200_000
MAX_BIG_STRING_TOTAL = 100_000


def bad(message: str) -> HttpError:
    return HttpError(400, message)


def check_type_id(type_id: str, tenant: str) -> None:
    """`{tenant}.{name}`, prefix ≤ 8 characters, total ≤ 128; the prefix must be the caller's tenant."""
    if len(type_id) > 128 or not TYPE_ID.fullmatch(type_id):
        raise bad(
            f"Invalid id '{type_id}': must match [A-Za-z0-9_]{{1,8}}\\.[A-Za-z0-9_]+ with at most 128 "
            "characters"
        )
    prefix = type_id.split(".", 1)[0]
    if prefix.lower() != tenant.lower():
        raise bad(f"Invalid id '{type_id}': the prefix must be the tenant name '{tenant}'")


def text(
    body: Doc,
    key: str,
    *,
    required: bool = False,
    max_len: int = 255,
    no_quote: bool = False,
    min_len: int = 0,
) -> str | None:
    """A string field with its length limits; None when absent and optional."""
    value = body.get(key)
    if value is None:
        if required:
            raise bad(f"Field '{key}' is required")
        return None
    if not isinstance(value, str):
        raise bad(f"Field '{key}' must be a string, got {json.dumps(value)}")
    if len(value) > max_len or len(value) < min_len:
        raise bad(f"Field '{key}' value '{value}' must have {min_len} to {max_len} characters")
    if no_quote and "'" in value:
        raise bad(f"Field '{key}' value '{value}' must not contain the character '")
    return value


def _default_ok(data_type: str, value: str, length: int | None) -> bool:
    try:
        if data_type == "INT":
            return -(2**31) <= int(value) < 2**31
        if data_type == "LONG":
            return -(2**63) <= int(value) < 2**63
        if data_type == "DOUBLE":
            float(value)
            return True
        if data_type == "BOOLEAN":
            return value in ("true", "false")
        if data_type == "TIMESTAMP":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return True
    except ValueError:
        return False
    return length is None or len(value) <= length


def variable(raw: Any, *, category: str | None, quality: bool) -> Doc:
    """A normalised variable definition; `category` None means an asset-type variable."""
    if not isinstance(raw, dict):
        raise bad(f"Variable definition must be an object, got {json.dumps(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not (1 <= len(name) <= 64) or not VARIABLE_NAME.fullmatch(name):
        raise bad(
            f"Invalid variable name '{name}': must match [a-zA-Z_][a-zA-Z0-9_]* with 1 to 64 characters"
        )
    if name.lower() in RESERVED:
        raise bad(f"Invalid variable name '{name}': it is a reserved word")
    data_type = raw.get("dataType")
    if data_type not in DATA_TYPES:
        raise bad(
            f"Invalid dataType '{data_type}' of variable '{name}': must be one of {', '.join(DATA_TYPES)}"
        )
    if data_type == "BIG_STRING" and category != "dynamic":
        raise bad(f"Variable '{name}': BIG_STRING is only allowed in dynamic aspect types")
    unit = raw.get("unit")
    if unit is not None and (not isinstance(unit, str) or len(unit) > 32 or "'" in unit):
        raise bad(f"Invalid unit '{unit}' of variable '{name}': at most 32 characters, no '")
    length = raw.get("length")
    if data_type in ("STRING", "BIG_STRING"):
        top = 255 if data_type == "STRING" else 100_000
        if length is None:
            if data_type == "BIG_STRING":
                raise bad(f"Variable '{name}': length is required for BIG_STRING (1 to 100000)")
            length = 255
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= top:
            raise bad(f"Invalid length {length} of variable '{name}': must be 1 to {top} for {data_type}")
    elif length is not None:
        raise bad(f"Variable '{name}': length is only allowed for STRING and BIG_STRING, not {data_type}")
    default = raw.get("defaultValue")
    if default is not None:
        if category == "dynamic":
            raise bad(f"Variable '{name}': defaultValue is only allowed in static aspect types")
        if (
            not isinstance(default, str)
            or not 1 <= len(default) <= 255
            or not _default_ok(data_type, default, length)
        ):
            raise bad(f"Invalid defaultValue '{default}' of variable '{name}': not a valid {data_type}")
    out: Doc = {
        "name": name,
        "dataType": data_type,
        "unit": unit,
        "searchable": _flag(raw, "searchable", name),
        "length": length,
        "defaultValue": default,
    }
    if quality:
        out["qualityCode"] = _flag(raw, "qualityCode", name)
    return out


def _flag(raw: Doc, key: str, name: str) -> bool:
    value = raw.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad(f"Field '{key}' of variable '{name}' must be a boolean, got {json.dumps(value)}")
    return value


def unique_names(items: list[Doc], what: str) -> None:
    seen: set[str] = set()
    for item in items:
        key = item["name"].lower()
        if key in seen:
            raise bad(f"Duplicate {what} name '{item['name']}'")
        seen.add(key)


def check_variable_change(old: Doc, new: Doc, *, category: str | None) -> None:
    """Allowed edits of an existing variable: unit; defaultValue (static); STRING length up on static."""
    name = old["name"]
    for key in ("dataType", "searchable", "qualityCode"):
        if key in old and old.get(key) != new.get(key):
            raise bad(
                f"Variable '{name}': {key} cannot be changed from {json.dumps(old.get(key))} to "
                f"{json.dumps(new.get(key))}"
            )
    if old.get("length") != new.get("length"):
        if old["dataType"] != "STRING" or category == "dynamic":
            raise bad(
                f"Variable '{name}': length of a {category or 'asset type'} {old['dataType']} variable "
                "cannot be changed"
            )
        if (new.get("length") or 0) < (old.get("length") or 0):
            raise bad(f"Variable '{name}': length cannot decrease from {old['length']} to {new['length']}")


def aspect_type_body(body: Doc, tenant: str) -> Doc:
    """Validate an aspect type request body; return the normalised stored fields."""
    name = text(body, "name", required=True, max_len=128, min_len=1)
    assert name is not None
    if not ASPECT_TYPE_NAME.fullmatch(name):
        raise bad(f"Invalid aspect type name '{name}': must match [a-zA-Z0-9_]+")
    category = body.get("category")
    if category not in ("static", "dynamic"):
        raise bad(f"Invalid category '{category}': must be static or dynamic")
    scope = body.get("scope")
    if scope is None:
        raise bad("Field 'scope' is required")
    if scope not in ("private", "public"):
        raise bad(f"Invalid scope '{scope}': must be private or public")
    description = text(body, "description", no_quote=True)
    raw_vars = body.get("variables")
    if not isinstance(raw_vars, list) or not raw_vars:
        raise bad("Field 'variables' must be a list with at least 1 variable")
    variables = [variable(v, category=category, quality=True) for v in raw_vars]
    unique_names(variables, "variable")
    big = sum(v["length"] for v in variables if v["dataType"] == "BIG_STRING")
    if big > MAX_BIG_STRING_TOTAL:
        raise bad(f"The lengths of all BIG_STRING variables together ({big}) exceed {MAX_BIG_STRING_TOTAL}")
    if len(json.dumps(body)) > MAX_ASPECT_TYPE_BYTES:
        raise bad(f"Aspect type configuration exceeds {MAX_ASPECT_TYPE_BYTES} bytes")
    return {
        "name": name,
        "category": category,
        "scope": scope,
        "description": description,
        "variables": variables,
    }


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strip_none(doc: Doc) -> Doc:
    """Drop null-valued keys (the vendor schemas type these fields without null)."""
    return {k: v for k, v in doc.items() if v is not None}

"""Saved plans: versioned JSON with a checksum, so `apply PLANFILE` does exactly what was reviewed.

Layout: `{"format_version": 4, "created_at", "stack", "config_digest", "target": {...},
"plan": {...}, "preconditions": [...], "checksum": "sha256:<hex>"}`. `target` binds the plan to
where it was made (`PlanTarget`: env, tenant/gateway, iTwin URL/project, the project directory
relative to the file). The checksum is the SHA-256 of the canonical JSON (sorted keys, no
whitespace, UTF-8) of every other top-level key. `preconditions` lists, per touched live object,
the server id and the etag/hash that apply re-checks before writing anything. Attrs are stored as
the plan holds them; providers never put secrets into attrs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.config.limits import json_constant, json_int
from provisioner.errors import ProvisionError
from provisioner.model import Action, Change, FieldChange, UnmanagedObject
from provisioner.plan.builder import Plan
from provisioner.plan.estimate import Estimate
from provisioner.plan.planfile_schema import PlanShapeError, check_plan_file
from provisioner.plan.planfile_target import PlanTarget

# 2: preconditions of etag-less objects hash compact sorted JSON (orjson)
# 3: changes carry the typed `adopt` and `protected` the engine decides on (reasons are text only)
# 4: `target` records the env, platform endpoints and project the plan was made for
FORMAT_VERSION = 4


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from a file, with the facts recorded next to it."""

    plan: Plan
    stack: str
    config_digest: str
    created_at: str
    checksum: str
    target: PlanTarget | None = None


def canonical_json(value: object) -> bytes:
    """The bytes the checksum covers: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def checksum(content: Mapping[str, Any]) -> str:
    """`sha256:<hex>` over the canonical JSON of `content`."""
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()


def _change_to_json(change: Change) -> dict[str, Any]:
    return {
        "address": change.address,
        "action": change.action.value,
        "kind": change.kind,
        "before": change.before,
        "after": change.after,
        "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in change.fields],
        "server_id": change.server_id,
        "precondition": change.precondition,
        "depends_on": list(change.depends_on),
        "reasons": list(change.reasons),
        "side_effects": list(change.side_effects),
        "data_destructive": change.data_destructive,
        "data_loss": list(change.data_loss),
        "adopt": change.adopt,
        "protected": change.protected,
        "prevent_destroy": change.prevent_destroy,
        "duplicate_of": change.duplicate_of,
        "unmanaged_children": list(change.unmanaged_children),
    }


def _change_from_json(data: Mapping[str, Any]) -> Change:
    return Change(
        action=Action(data["action"]),
        address=data["address"],
        kind=data["kind"],
        before=data["before"],
        after=data["after"],
        fields=tuple(FieldChange(f["path"], f["before"], f["after"]) for f in data["fields"]),
        server_id=data["server_id"],
        precondition=data["precondition"],
        depends_on=tuple(data["depends_on"]),
        reasons=tuple(data["reasons"]),
        side_effects=tuple(data["side_effects"]),
        data_destructive=bool(data["data_destructive"]),
        data_loss=tuple(data["data_loss"]),
        adopt=bool(data["adopt"]),
        protected=bool(data["protected"]),
        prevent_destroy=bool(data["prevent_destroy"]),
        duplicate_of=data["duplicate_of"],
        unmanaged_children=tuple(data["unmanaged_children"]),
    )


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-compatible data (the `plan` key of a plan file)."""
    est = plan.estimate
    return {
        "changes": [_change_to_json(c) for c in plan.changes],
        "unchanged": plan.unchanged,
        "managed": dict(plan.managed),
        "unmanaged": {
            p: [{"kind": o.kind, "server_id": o.server_id, "name": o.name} for o in objs]
            for p, objs in plan.unmanaged.items()
        },
        "warnings": list(plan.warnings),
        "protected": sorted(plan.protected),
        "live_depends_on": {a: list(d) for a, d in plan.live_depends_on.items()},
        "estimate": {
            "calls_by_platform": dict(est.calls_by_platform),
            "calls_by_class": dict(est.calls_by_class),
            "critical_path_seconds": est.critical_path_seconds,
            "throughput_seconds": est.throughput_seconds,
            "quota_seconds": est.quota_seconds,
            "quota_rules": {c: [list(r) for r in rules] for c, rules in est.quota_rules.items()},
            "quota_scale": dict(est.quota_scale),
        },
    }


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """Inverse of `plan_to_json`."""
    est = data["estimate"]
    return Plan(
        changes=tuple(_change_from_json(c) for c in data["changes"]),
        unchanged=int(data["unchanged"]),
        managed=dict(data["managed"]),
        unmanaged={
            p: tuple(UnmanagedObject(o["kind"], o["server_id"], o["name"]) for o in objs)
            for p, objs in data["unmanaged"].items()
        },
        warnings=tuple(data["warnings"]),
        protected=frozenset(data["protected"]),
        live_depends_on={a: tuple(d) for a, d in data["live_depends_on"].items()},
        estimate=Estimate(
            calls_by_platform=dict(est["calls_by_platform"]),
            calls_by_class=dict(est["calls_by_class"]),
            critical_path_seconds=float(est["critical_path_seconds"]),
            throughput_seconds=float(est["throughput_seconds"]),
            quota_seconds=float(est["quota_seconds"]),
            quota_rules={c: tuple((int(n), float(w)) for n, w in rules)
                         for c, rules in est.get("quota_rules", {}).items()},
            quota_scale={c: float(v) for c, v in est.get("quota_scale", {}).items()},
        ),
    )


def preconditions_of(plan: Plan) -> list[dict[str, str | None]]:
    """Per touched live object: address, server id and the precondition apply re-checks."""
    return [
        {"address": c.address, "server_id": c.server_id, "precondition": c.precondition}
        for c in plan.changes
        if c.server_id is not None
    ]


def write_plan(plan: Plan, path: Path | str, *, config_digest: str, stack: str,
               target: PlanTarget | None = None) -> str:
    """Write `plan` to `path` (atomically) and return its checksum; `target` binds it (see module doc)."""
    content: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stack": stack,
        "config_digest": config_digest,
        "target": target.to_json() if target is not None else None,
        "plan": plan_to_json(plan),
        "preconditions": preconditions_of(plan),
    }
    digest = checksum(content)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps({**content, "checksum": digest}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    tmp.replace(out)
    return digest


MAX_PLAN_BYTES = 512 * 1024 * 1024
"""A plan file larger than this is refused before it is parsed."""


def read_plan(path: Path | str, *, platforms: Collection[str] | None = None,
              kinds: Collection[str] | None = None) -> SavedPlan:
    """Read a plan file; a truncated, tampered, foreign or malformed file is a `ProvisionError`.

    One error path for every malformed file: the size is checked before parsing, the JSON must
    nest less than Python's recursion limit, NaN/Infinity and integers over 100 digits are refused,
    the checksum must match and the content must have the shape `check_plan_file` checks (with
    `platforms`/`kinds`, only those names are accepted).
    """
    source = Path(path)
    try:
        size = source.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise ProvisionError(f"plan file {source} is larger than the limit of {MAX_PLAN_BYTES} bytes")
        text = source.read_bytes().decode("utf-8")
        data = json.loads(text, parse_int=json_int, parse_constant=json_constant)
    except FileNotFoundError as exc:
        raise ProvisionError(f"plan file {source} does not exist") from exc
    except IsADirectoryError as exc:
        raise ProvisionError(f"plan file {source} is a directory") from exc
    except OSError as exc:
        raise ProvisionError(f"plan file {source} cannot be read: {type(exc).__name__}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"plan file {source} is not valid JSON (truncated or corrupted): {exc}") from exc
    except RecursionError as exc:
        raise ProvisionError(f"plan file {source} is not a provision plan (JSON nested too deeply)") from exc
    except ValueError as exc:  # LimitExceeded: NaN, Infinity, a huge integer literal
        raise ProvisionError(f"plan file {source} is not a provision plan: {exc}") from exc
    if not isinstance(data, dict) or "checksum" not in data:
        raise ProvisionError(f"plan file {source} is not a provision plan (no checksum)")
    if data.get("format_version") != FORMAT_VERSION:
        raise ProvisionError(
            f"plan file {source} has format version {repr(data.get('format_version'))[:40]}; "
            f"this provision reads version {FORMAT_VERSION}: run plan again"
        )
    recorded = data.pop("checksum")
    try:
        matches = isinstance(recorded, str) and checksum(data) == recorded
    except (ValueError, TypeError, RecursionError) as exc:
        raise ProvisionError(f"plan file {source} is malformed: {type(exc).__name__}") from exc
    if not matches:
        raise ProvisionError(
            f"plan file {source} was modified after it was written (checksum mismatch); run plan again"
        )
    try:
        check_plan_file(data, platforms=platforms, kinds=kinds)
        return SavedPlan(
            plan=plan_from_json(data["plan"]),
            stack=data["stack"],
            config_digest=data["config_digest"],
            created_at=data["created_at"],
            checksum=recorded,
            target=PlanTarget.from_json(data["target"]) if data["target"] is not None else None,
        )
    except PlanShapeError as exc:
        raise ProvisionError(f"plan file {source} is malformed: {exc}") from exc
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise ProvisionError(f"plan file {source} is malformed: {type(exc).__name__}") from exc

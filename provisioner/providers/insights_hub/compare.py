"""Comparing live and desired attrs: which server-chosen values are not compared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.insights_hub import kinds

PRUNED_KINDS = frozenset({kinds.ASSET, kinds.ASPECT_TYPE, kinds.ASSET_TYPE})


def prune_unset(live: Mapping[str, Any], desired: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """Hide server-chosen values of fields the configuration leaves unset (Terraform's "computed").

    An asset's timezone and location and a variable's length take server defaults when unset, and
    an asset's externalId may be set by hand (the UI); they are compared only when the
    configuration sets them, and an update leaves them as they are (a merge-patch). Other kinds
    have no such fields: their `live` attrs come back as they are (the same object).
    """
    if kind not in PRUNED_KINDS:
        return live
    attrs = dict(live)
    if kind == kinds.ASSET:
        for name in ("timezone", "location", "external_id"):
            if desired.get(name) is None:
                attrs[name] = None
    if kind in (kinds.ASPECT_TYPE, kinds.ASSET_TYPE):
        wanted = desired.get("variables") or {}
        attrs["variables"] = {
            name: {**var, "length": None} if (wanted.get(name) or {}).get("length") is None else var
            for name, var in (live.get("variables") or {}).items()
        }
    return attrs

"""Class-level facts about Insights Hub resource kinds: replace triggers, data, call costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from provisioner.model import Action, CallModel, Change, KindSpec, PlannedOps

PLATFORM = "insights_hub"

ASPECT_TYPE = "insights_hub.aspect_type"
ASSET_TYPE = "insights_hub.asset_type"
ASSET = "insights_hub.asset"
AGENT = "insights_hub.agent"
DATA_SOURCES = "insights_hub.data_source_configuration"
MAPPING = "insights_hub.data_point_mapping"
EVENT_MAPPING = "insights_hub.event_mapping"

_TYPE_FIELDS = (("type", "dataType"), ("quality_code", "qualityCode"), ("parent", "parentTypeId"))
_ASSET_FIELDS = (("type", "typeId"), ("twin_type", "twinType"), ("parent", "parentId"))

def _per_action(create: Mapping[str, int], update: Mapping[str, int], delete: Mapping[str, int]) -> CallModel:
    """A call model: fixed calls per endpoint class for each operation of a graph node."""
    table = {Action.CREATE: dict(create), Action.UPDATE: dict(update), Action.DELETE: dict(delete)}

    def calls(op: Action, change: Change, planned: PlannedOps) -> Mapping[str, int]:
        return table[op]
    return calls


# What `operations.Operations` sends per node after a fresh plan (creates need no lookup while the
# stack's lease is held and untaken since the read: `guarded` false).
_CALLS = {
    ASPECT_TYPE: _per_action({"am.aspecttype.put": 1}, {"am.aspecttype.patch": 1},
                             {"am.aspecttype.delete": 1}),
    ASSET_TYPE: _per_action({"am.assettype.put": 1}, {"am.assettype.patch": 1}, {"am.assettype.delete": 1}),
    ASSET: _per_action({"am.assets.post": 1}, {"am.asset.patch": 1}, {"am.asset.delete": 1}),
    # its core.mclib asset, then the agent; delete: boarding status, agent, its asset (read for the etag)
    AGENT: _per_action({"am.assets.post": 1, "agm.agents.post": 1}, {"agm.agent.get": 1, "agm.agent.put": 1},
                       {"agm.boarding.status": 1, "agm.agent.get": 1, "agm.agent.delete": 1,
                        "am.asset.get": 1, "am.asset.delete": 1}),
    DATA_SOURCES: _per_action({"agm.dsc.put": 1}, {"agm.dsc.put": 1}, {"agm.dsc.put": 1}),
    MAPPING: _per_action({"mc.datapointmappings.post": 1}, {"mc.datapointmappings.post": 1},
                         {"mc.datapointmapping.delete": 1}),
    EVENT_MAPPING: _per_action({"mc.eventmappings.post": 1}, {"mc.eventmapping.patch": 1},
                               {"mc.eventmapping.delete": 1}),
}

# the stack lease (`lease.StackLease`): a first take creates its aspect type (PUT); a later one
# meets 412, reads it and patches it; the release patches it
LEASE_CALLS_NEW = {"am.aspecttype.put": 1, "am.aspecttype.patch": 1}
LEASE_CALLS_EXISTING = {"am.aspecttype.put": 1, "am.aspecttype.get": 1, "am.aspecttype.patch": 2}

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        # category, a variable's dataType, qualityCode and searchable are immutable (AMS).
        KindSpec(ASPECT_TYPE, PLATFORM, rank=10, replace_fields=frozenset({"category"}),
                 replace_paths=("variables.*.type", "variables.*.quality_code", "variables.*.searchable"),
                 data_bearing=True, endpoint_class="am.aspecttype.put", vendor_names=_TYPE_FIELDS),
        # an asset type's parent and its variables' dataType cannot change in place.
        KindSpec(ASSET_TYPE, PLATFORM, rank=20, replace_fields=frozenset({"parent"}),
                 replace_paths=("variables.*.type",), endpoint_class="am.assettype.put",
                 vendor_names=_TYPE_FIELDS),
        # typeId, timezone and twinType are set at creation only; a parent change is a move.
        KindSpec(ASSET, PLATFORM, rank=30, replace_fields=frozenset({"type", "timezone", "twin_type"}),
                 data_bearing=True, endpoint_class="am.assets.post", vendor_names=_ASSET_FIELDS),
        # an agent is its core.mclib asset plus the agent: two calls to create, three to delete
        # (boarding status, agent, asset); its asset holds the agent's data. A new security profile
        # needs new boarding material on the device, so it is a replace (issue 14).
        KindSpec(AGENT, PLATFORM, rank=40, replace_fields=frozenset({"security_profile"}),
                 data_bearing=True, create_calls=2, update_calls=2,
                 delete_calls=4, endpoint_class="agm.agents.post"),
        KindSpec(DATA_SOURCES, PLATFORM, rank=50, endpoint_class="agm.dsc.put"),
        # mappings have no update endpoint: any change is delete + create.
        KindSpec(MAPPING, PLATFORM, rank=60,
                 replace_fields=frozenset({"data_point", "asset", "aspect", "variable", "keep_mapping"}),
                 endpoint_class="mc.datapointmappings.post"),
        KindSpec(EVENT_MAPPING, PLATFORM, rank=60, endpoint_class="mc.eventmappings.post"),
    )
}
KINDS = {name: replace(spec, calls=_CALLS[name]) for name, spec in KINDS.items()}

"""Tunable behaviour of the iTwin IoT emulator (one field per documented choice)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ItwinSettings:
    """Credentials, projects and the switches for behaviour the vendor docs leave open."""

    # The "iTwin asset GUID" sent in projectIds/iTwinId, and the internal 24-hex id stored as PROJECT_ID.
    project: str = "sandbox-project"
    project_internal_id: str = "65CB51CE8E199448BB4D4BDA"
    # More projects: asset id -> internal 24-hex id.
    extra_projects: dict[str, str] = field(default_factory=dict)
    # API key accepted as "ApiKey <key>" or "Bearer <key>"; LAST_MODIFIED_BY for callers using it.
    api_key: str = "sandbox-key"
    api_key_user: str = "sandbox-user@example.com"
    # IMS client-credentials app.
    ims_client_id: str = "sandbox-ims-client"
    ims_client_secret: str = "sandbox-ims-secret"
    token_lifetime_s: int = 3600
    # Status for an invalid nodeId: the seed prints "402 Unprocessable Entity"; 422 is the likely truth.
    bad_node_status: int = 422
    # Paging of /api/{kind}/all.
    default_page_size: int = 100
    max_page_size: int = 1000
    # Test switch: serve at most this many entities per page, whatever pageSize asks, with no error
    # (a server that caps silently; paging offsets then use the capped size). None: no cap.
    silent_page_cap: int | None = None
    # Accept integration.props / integration.refId when creating a node. Off by default: the seed
    # documents only changeState/nodeId at node level (L2977) and its own example names the node
    # itself (SERIAL_NO "B6627B", NAME "Data Source API Import B6627B", L2888-L2892). On: the old
    # inference from the tutorial's node props.
    node_props_at_creation: bool = False
    # Accept integration.nodeId + changeState "update" + props (undocumented; the seed shows node props
    # set in the UI, L3118-L3128). Off: refused with 422, the stricter alternative.
    node_updates: bool = True
    # projectIds is documented as required on integrate and sensors/metrics.
    require_project_on_writes: bool = True
    # api.bentley.com sits behind APIM, which accepts only IMS tokens.
    sensor_data_accepts_api_key: bool = False
    # Reject uploaded values whose metric the sensor does not define.
    strict_upload_metrics: bool = True
    # Query Raw Data is documented on api.bentley.com only (`POST /sensor-data/data/observations`);
    # on: iiot.bentley.com serves the same query at `POST /api/data/observations` (the pair of its
    # `/api/data/upload`; an inference). Off: 404 there.
    iiot_observation_query: bool = True
    # Most observations one query answers (oldest first; undocumented, a choice).
    observation_page_size: int = 1000

    def projects(self) -> dict[str, str]:
        """All projects as asset id -> internal id."""
        return {self.project: self.project_internal_id, **self.extra_projects}

"""Settings of one sandbox instance: credentials, timings, faults, quotas, model switches."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass
class SandboxSettings:
    """Everything that shapes a sandbox; defaults match the documented demo credentials."""

    host: str = "127.0.0.1"
    port: int = 8700
    state_file: Path | None = None
    latency_ms: float = 0.0
    faults: str = ""
    quota: Literal["vendor", "none"] = "none"
    # quota windows and Retry-After run this many times faster (1 = real time; docs/sandbox.md "Quotas")
    time_scale: float = 1.0
    seed: int = 0
    # Insights Hub identity
    tenant: str = "sandbox"
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    app_client_id: str = "sandbox-app-client"
    app_client_secret: str = "sandbox-app-secret"
    app_name: str = "provision"
    app_version: str = "1.0.0"
    token_lifetime_s: int = 1800
    # Asset Management switches where the reference is UNVERIFIED
    missing_if_match_status: Literal[400, 412] = 400
    delete_guard_status: Literal[400, 409] = 400
    max_page_size: int = 200
    asset_type_update_mode: Literal["3.18.4", "strict"] = "3.18.4"
    # fidelity switches (docs/sandbox.md, "Behaviour and evidence"): defaults follow the vendor's evidence
    asset_list_order: Literal["name", "creation"] = "name"
    asset_delete_mode: Literal["soft", "hard"] = "soft"
    admin_credentials: Literal["service", "service+app", "none"] = "service"
    deleted_asset_write_status: Literal[404, 403, 400] = 404
    content_type_check: Literal["strict", "lenient"] = "strict"
    event_mapping_patch_media: Literal["json", "any"] = "json"
    explicit_nulls: bool = True
    root_aspects: bool = True  # the root asset has a built-in aspect (the SDK spec needs one)
    # Agent Management
    boarding_delay_s: float = 0.2
    offboard_delay_s: float = 0.3
    offboard_status_mode: Literal["offboarding", "spec"] = "offboarding"
    # agent side (docs/sandbox.md, "Agent side"): inference where the spec is silent
    agent_online_window_s: float = 60.0  # ONLINE while seen (token or upload) this recently
    boarding_renewal: Literal["post", "none"] = "post"  # POST .../boarding/configuration renews the IAT
    # events (docs/sandbox.md, "Agent side"): an event mapping routes an event only of its event type
    # (off: its field and value alone); Event Management pages hold at most this many events
    event_mapping_needs_type: bool = True
    event_page_max: int = 100
    # POST /events (docs/sandbox.md, "Agent side"): an agent's post on its own entity is routed by its
    # event mappings (off: stored on the entity it names); the entity must exist; fields a standard
    # event does not define are kept as sent ("drop": left out)
    event_post_mappings: bool = False
    event_entity_check: bool = True
    event_extra_fields: Literal["keep", "drop"] = "keep"
    # a posted event's typeId must be a created event type ("any": unknown types are accepted);
    # an empty Event Management list carries no `_embedded` (True: an empty list, as Asset Management)
    event_type_check: Literal["registered", "any"] = "registered"
    event_empty_embedded: bool = False
    # iTwin IoT (passed to the iTwin half when it is installed)
    itwin_project: str = "sandbox-project"
    itwin_api_key: str = "sandbox-key"
    # integrate applies node-level refId/props at creation (an inference; off = the seed's evidence)
    itwin_node_props_at_creation: bool = False
    # integrate accepts node-level updates (an inference; off = refused with 422)
    itwin_node_updates: bool = True
    # iiot serves Query Raw Data at POST /api/data/observations (an inference; off = 404 there)
    itwin_iiot_observation_query: bool = True
    # request input limits (inference: the vendors document a 413 but not its size; see input_guard)
    max_body_bytes: int = 10 * 1024 * 1024
    max_json_depth: int = 64
    # persistence debounce; 0 writes after every mutating request
    save_debounce_s: float = 0.2
    clock: Callable[[], float] = field(default=time.time, repr=False)

    @property
    def base_url(self) -> str:
        """The URL clients use when they have no request to learn it from."""
        return f"http://{self.host}:{self.port}"

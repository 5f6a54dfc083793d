"""One sentence per configuration field, for the JSON schema's `description` (editor hovers).

Kept next to, not inside, the models: `schemadoc` puts each text on its property in the
generated schema, and a test checks that every entry names a real field and that at least 95%
of the schema's properties have a description.
"""

from __future__ import annotations

_PROTECT = "true: apply never deletes or replaces this object (a plan that would is refused)."
_LIFECYCLE = ("How apply treats the existing object: {ignore_changes: [paths whose live value is kept], "
              "prevent_destroy: true (recorded in the owner marker)}.")
_EXTERNAL = ("true: the type belongs to another stack (or to nobody): read, referenced and checked against "
             "what is declared here, never written.")
_TAKE_OVER = ("The stack whose owner marker the live type carries: this stack takes the type over (an "
              "explicit hand-over; without it declaring another stack's type is a plan error).")
_PIN = "Pin an existing object by its server id to adopt it into this stack (no hand-written id needed)."
_UNIT = "Unit text shown in the vendor UI (at most 32 characters, no ')."
_VAR_TYPE = "Data type: BOOLEAN, INT, LONG, DOUBLE, STRING, TIMESTAMP or BIG_STRING."
_LENGTH = "Maximum length, only for STRING (1-255) and BIG_STRING (1-100000)."
_SEARCHABLE = "true: the variable can be used in asset searches."
_DEFAULT = "Default value (static aspect types and asset types only), compatible with the type."
_CONCURRENCY = "Requests in flight at once on this platform, 1-64 (default 16)."
_RATE_LIMITS = ("`vendor` (default: the documented quotas), `none` (no client-side limit), or budgets "
                "per endpoint class: {<class>: {per_minute, per_hour}}.")
_DESCRIPTION = "Free text shown in the vendor UI (at most 255 characters, no ')."
_GEO = "Where it is: {lon, lat, elev} in WGS84 degrees and metres."
_NOTES = "Free text notes shown in iTwin IoT."
_PARENT = ("Where it sits: `root` (the tenant's root asset, the default), the key of an asset in the "
           "project, or {id: <32-hex asset id>} outside it.")

FIELD_DOCS: dict[str, dict[str, str]] = {
    "Lifecycle": {
        "ignore_changes": ("Attribute paths (`description`, `location`, `variables.SerialNo`) whose live "
                           "value is kept and never diffed: an operator's edit survives apply."),
        "prevent_destroy": ("true: apply refuses to delete or replace the object, also after this block "
                            "is removed (the flag lives in the owner marker); `--allow-destroy ADDRESS` "
                            "lifts it."),
    },
    "ProjectConfig": {
        "stack": "Ownership scope: stamped on every object this project manages (1-32 of A-Z a-z 0-9 _ -).",
        "platforms": "How to reach each platform: endpoints, credentials, rate limits.",
        "insights_hub": "Siemens Insights Hub resources: aspect types, asset types, assets and agents.",
        "itwin_iot": "Bentley iTwin IoT resources: connections with their devices and sensors.",
        "moved": ("Key renames: [{from: ADDRESS, to: ADDRESS}]; the object keeps its server id and "
                  "history, only its key (owner marker) changes. May stay forever."),
    },
    "Platforms": {
        "insights_hub": "The Insights Hub tenant: tenant, gateway or region, auth, rate_limits.",
        "itwin_iot": "The iTwin IoT project: url, project, auth, rate_limits.",
    },
    "InsightsHubSettings": {
        "tenant": "Tenant name (1-8 of A-Z a-z 0-9 _); type ids are <tenant>.<name>.",
        "gateway": "Gateway URL (https, or http on loopback for the sandbox); exactly one of gateway and "
                   "region.",
        "region": "Region shorthand: `eu1` means https://gateway.eu1.mindsphere.io; exactly one of gateway "
                  "and region.",
        "auth": "Service credentials {client_id, client_secret} or app credentials {app_name, app_version, "
                "host_tenant, user_tenant, client_id, client_secret}; secrets as ${env:NAME}.",
        "rate_limits": _RATE_LIMITS,
        "concurrency": _CONCURRENCY,
    },
    "ServiceCredentials": {},
    "AppCredentials": {
        "app_name": "The application's name as registered in the Developer Cockpit.",
        "app_version": "The application's version as registered in the Developer Cockpit.",
        "host_tenant": "The tenant that hosts the application.",
        "user_tenant": "The tenant the application acts for.",
    },
    "ItwinIotSettings": {
        "url": "Service URL, e.g. https://iiot.bentley.com (http only on loopback, for the sandbox).",
        "project": "The iTwin project id the connections belong to (sent as projectIds).",
        "auth": "An API key {api_key} or IMS client credentials {client_id, client_secret, scope, "
                "token_url}.",
        "rate_limits": _RATE_LIMITS,
        "concurrency": _CONCURRENCY,
    },
    "ImsCredentials": {
        "scope": "OAuth scope requested from IMS (default itwin-platform).",
        "token_url": "IMS token endpoint (default https://ims.bentley.com/connect/token).",
    },
    "RateLimit": {
        "per_minute": "At most this many requests per minute to this endpoint class.",
        "per_hour": "At most this many requests per hour to this endpoint class.",
    },
    "InsightsHub": {
        "aspect_types": "Aspect types by name (id <tenant>.<name>): groups of variables.",
        "asset_types": "Asset types by name (id <tenant>.<name>): a parent type, aspects and variables.",
        "assets": "Assets by key: the plant's hierarchy of sites, areas and machines.",
        "agents": "MindConnect agents by key, with their data sources and mappings.",
    },
    "AspectType": {
        "category": "`dynamic` (time series) or `static` (values set on the asset).",
        "description": _DESCRIPTION,
        "variables": "The variables by name ([a-zA-Z_][a-zA-Z0-9_]*, at most 64): at least one.",
        "external": _EXTERNAL,
        "take_over_from": _TAKE_OVER,
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "AspectVariable": {
        "type": _VAR_TYPE,
        "unit": _UNIT,
        "length": _LENGTH,
        "quality_code": "true: every value carries a quality code.",
        "searchable": _SEARCHABLE,
        "default": _DEFAULT,
    },
    "AssetType": {
        "parent": "The parent type: a project type's name, a type id, or a built-in type (default "
                  "core.basicasset).",
        "description": _DESCRIPTION,
        "aspects": "Aspect name -> aspect type (a project type's name or a full id).",
        "variables": "The type's own variables by name (no quality_code, no BIG_STRING).",
        "instantiable": "false: the type only serves as a parent of other types (default true).",
        "external": _EXTERNAL,
        "take_over_from": _TAKE_OVER,
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "AssetTypeVariable": {
        "type": _VAR_TYPE,
        "unit": _UNIT,
        "length": _LENGTH,
        "searchable": _SEARCHABLE,
        "default": _DEFAULT,
    },
    "AssetRef": {"id": "The 32-hex id of an asset outside the project."},
    "AssetLocation": {
        "country": "Country of the asset's postal address.",
        "region": "Region or state of the asset's postal address.",
        "locality": "City or town of the asset's postal address.",
        "street_address": "Street and number of the asset's postal address.",
        "postal_code": "Postal code of the asset's address.",
        "longitude": "Longitude in degrees (-180 to 180).",
        "latitude": "Latitude in degrees (-90 to 90).",
    },
    "Asset": {
        "name": "The name shown in the vendor UI (1-128 characters, no / or \\).",
        "type": "The asset type: a project type's name, a type id, or a built-in core.* type.",
        "parent": _PARENT,
        "external_id": "An id from your own systems (at most 255 characters).",
        "description": _DESCRIPTION,
        "variables": "Values of the type's variables by name.",
        "aspects": "Values of static aspects: {aspect: {variable: value}}.",
        "location": "Postal and geographic location of the asset.",
        "timezone": "IANA time zone id, e.g. Europe/Berlin.",
        "twin_type": "`performance` or `simulation` digital twin.",
        "id": _PIN,
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "Agent": {
        "name": "The agent's name in the vendor UI (at most 128 characters, unique in the project).",
        "parent": "Where the agent's core.mclib asset lives: `root`, an asset key or {id: <assetId>}.",
        "security_profile": "SHARED_SECRET (default) or RSA_3072: how the agent authenticates.",
        "configuration_id": "Id of the data source configuration (at most 36); the provider chooses one "
                            "when omitted.",
        "data_sources": "Data sources by name, each with its data points.",
        "mappings": "Data point -> asset aspect variable mappings.",
        "event_mappings": "Which events go to which asset (at most 50 per agent, 5 per event type).",
        "id": _PIN,
        "prune_mappings": ("true: mappings and event mappings on this agent that the configuration does "
                           "not declare are deleted; false (default): they are listed as unmanaged and "
                           "left alone."),
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "DataSource": {
        "description": "Free text (at most 256 characters).",
        "data_points": "Data points by id (unique across the agent's data sources, at most 36 characters).",
    },
    "DataPoint": {
        "name": "The data point's name (1-64 characters).",
        "type": _VAR_TYPE,
        "unit": "Unit text; must equal the mapped variable's unit (at most 32 characters).",
        "description": "Free text (at most 256 characters).",
    },
    "Mapping": {
        "data_point": "The id of a data point in this agent's data sources.",
        "asset": "The key of a project asset.",
        "aspect": "An aspect of the asset's type (or of one of its parents); must be dynamic.",
        "variable": "A variable of that aspect's type, of the data point's type and unit.",
    },
    "EventMapping": {
        "asset": "The key of the project asset the events go to.",
        "event_type": "The event type id (1-64 characters).",
        "event_type_name": "The event type's name (1-64 characters).",
        "field": "The event field compared with `value` (1-64 characters).",
        "value": "Events whose `field` equals this go to `asset` (1-255 characters).",
    },
    "ItwinIot": {"connections": "Connections (integration nodes) by key, each with its devices."},
    "Connection": {
        "name": "The connection's name, unique in the project (it identifies the connection unless `id` "
                "is pinned).",
        "id": _PIN,
        "location": _GEO,
        "notes": _NOTES,
        "devices": "Devices by key, each with its sensors.",
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "Device": {
        "name": "The device's name shown in iTwin IoT.",
        "template": "The device template, e.g. IMPORT_DEVICE_SDE.",
        "location": _GEO,
        "notes": _NOTES,
        "sensors": "Sensors by key.",
        "id": _PIN,
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "Sensor": {
        "name": "The sensor's name shown in iTwin IoT.",
        "template": "The sensor template, e.g. GENERIC_SENSOR_SDE.",
        "location": _GEO,
        "notes": _NOTES,
        "metrics": "The sensor's metrics with their units (a generic sensor needs them at creation).",
        "id": _PIN,
        "protect": _PROTECT,
        "lifecycle": _LIFECYCLE,
    },
    "GeoPoint": {
        "lon": "Longitude in degrees (-180 to 180).",
        "lat": "Latitude in degrees (-90 to 90).",
        "elev": "Elevation in metres.",
    },
    "Metric": {
        "metric": "The metric's name, e.g. Tilt_X.",
        "unit": "The metric's unit, e.g. degree.",
    },
}

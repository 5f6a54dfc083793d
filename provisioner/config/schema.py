"""Pydantic models of the configuration files: one class per resource kind and platform setting.

Field names are the YAML names. Unknown fields are errors (`extra="forbid"`). Limits that
concern a single field live here; cross-resource rules live in `provisioner.config.validate`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from provisioner.config.secrets import Secret, SecretOrStr
from provisioner.config.urls import check_url

DataType = Literal["BOOLEAN", "INT", "LONG", "DOUBLE", "STRING", "TIMESTAMP", "BIG_STRING"]
Scalar = str | int | float | bool
NoQuote = r"^[^']*$"


class Model(BaseModel):
    """Base of every configuration model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- platforms


class RateLimit(Model):
    """A client-side budget for one endpoint class."""

    per_minute: Annotated[int, Field(ge=1)] | None = None
    per_hour: Annotated[int, Field(ge=1)] | None = None


def _kind(value: object, keys: tuple[str, ...], model: type, yes: str, no: str) -> str:
    if isinstance(value, model) or (isinstance(value, dict) and any(k in value for k in keys)):
        return yes
    return no


RateLimits = Annotated[
    Annotated[Literal["vendor", "none"], Tag("preset")] | Annotated[dict[str, RateLimit], Tag("budgets")],
    Discriminator(lambda v: "budgets" if isinstance(v, dict) else "preset"),
]
"""`vendor` (documented quotas), `none` (no client-side limit) or budgets per endpoint class."""


QuotaTimeScale = Annotated[float, Field(ge=1, le=100_000)]
"""Client-side quota windows run this many times faster: only for a sandbox started with
`--time-scale N` (a real tenant's quotas run at 1)."""


class ServiceCredentials(Model):
    """Insights Hub service credentials (client_credentials at the tenant's PIAM)."""

    client_id: SecretOrStr
    client_secret: Secret


class AppCredentials(Model):
    """Insights Hub app credentials (Technical Token Manager)."""

    app_name: str
    app_version: str
    host_tenant: str
    user_tenant: str
    client_id: SecretOrStr
    client_secret: Secret


InsightsHubAuth = Annotated[
    Annotated[ServiceCredentials, Tag("service-credentials")]
    | Annotated[AppCredentials, Tag("app-credentials")],
    Discriminator(
        lambda v: _kind(
            v,
            ("app_name", "app_version", "host_tenant", "user_tenant"),
            AppCredentials,
            "app-credentials",
            "service-credentials",
        )
    ),
]


class InsightsHubSettings(Model):
    """Where and how to reach one Insights Hub tenant. Exactly one of `gateway` and `region`."""

    tenant: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,8}$")]
    gateway: str | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2,4}[0-9]{0,2}$")] | None = None
    auth: InsightsHubAuth
    rate_limits: RateLimits = "vendor"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 16
    quota_time_scale: QuotaTimeScale = 1.0

    @model_validator(mode="after")
    def _one_endpoint(self) -> InsightsHubSettings:
        if (self.gateway is None) == (self.region is None):
            raise ValueError("set exactly one of gateway and region")
        return self

    @field_validator("gateway")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_url(value)
        return value

    @property
    def base_url(self) -> str:
        """The gateway URL without a trailing slash (`region: eu1` → https://gateway.eu1.mindsphere.io)."""
        if self.gateway is not None:
            return self.gateway.rstrip("/")
        return f"https://gateway.{self.region}.mindsphere.io"


class ApiKeyAuth(Model):
    """iTwin IoT API key (sent as `Authorization: ApiKey <key>`)."""

    api_key: Secret


class ImsCredentials(Model):
    """Bentley IMS client credentials for a service app."""

    client_id: SecretOrStr
    client_secret: Secret
    scope: str = "itwin-platform"
    token_url: str = "https://ims.bentley.com/connect/token"

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        check_url(value)
        return value


ItwinIotAuth = Annotated[
    Annotated[ApiKeyAuth, Tag("api-key")] | Annotated[ImsCredentials, Tag("ims-credentials")],
    Discriminator(lambda v: _kind(v, ("api_key",), ApiKeyAuth, "api-key", "ims-credentials")),
]


class ItwinIotSettings(Model):
    """Where and how to reach one iTwin IoT project."""

    url: str
    project: Annotated[str, Field(min_length=1)]
    auth: ItwinIotAuth
    rate_limits: RateLimits = "vendor"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 16
    quota_time_scale: QuotaTimeScale = 1.0

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        check_url(value)
        return value

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")


class Platforms(Model):
    """Connection settings per platform; a platform without settings cannot hold resources."""

    insights_hub: InsightsHubSettings | None = None
    itwin_iot: ItwinIotSettings | None = None


# --------------------------------------------------------------------------- Insights Hub


class Lifecycle(Model):
    """How apply treats an existing object (Terraform's `lifecycle`).

    `ignore_changes`: attribute paths (`description`, `location`, `variables.SerialNo`) whose live
    value is kept and never diffed, so an operator's edit survives apply (a create still sets
    them). `prevent_destroy`: apply refuses to delete or replace the object; the flag is written
    into its owner marker, so it holds after the block is removed from the configuration, until
    `--allow-destroy ADDRESS`, or an apply of the object without the flag, lifts it.
    """

    ignore_changes: list[Annotated[str, Field(min_length=1, max_length=256,
                                              pattern=r"^[^.\s]+(\.[^.\s]+)*$")]] = Field(
        default_factory=list)
    prevent_destroy: bool = False


class AspectVariable(Model):
    """A variable of an aspect type."""

    type: DataType
    unit: str | None = None
    length: int | None = None
    quality_code: bool = False
    searchable: bool = False
    default: Scalar | None = None


class AspectType(Model):
    """An aspect type; its YAML key is its name and its id is `<tenant>.<name>`."""

    category: Literal["static", "dynamic"]
    description: str | None = None
    variables: Annotated[dict[str, AspectVariable], Field(min_length=1)]
    external: bool = False
    take_over_from: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class AssetTypeVariable(Model):
    """A variable of an asset type (no quality code)."""

    type: DataType
    unit: str | None = None
    length: int | None = None
    searchable: bool = False
    default: Scalar | None = None


class AssetType(Model):
    """An asset type; its YAML key is its name and its id is `<tenant>.<name>`."""

    parent: str = "core.basicasset"
    description: str | None = None
    aspects: dict[str, str] = Field(default_factory=dict)
    variables: dict[str, AssetTypeVariable] = Field(default_factory=dict)
    instantiable: bool = True
    external: bool = False
    take_over_from: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class AssetRef(Model):
    """A parent outside the project, by its 32-hex asset id."""

    id: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")]


ParentRef = Annotated[
    Annotated[str, Tag("asset-key")] | Annotated[AssetRef, Tag("asset-id")],
    Discriminator(lambda v: _kind(v, ("id",), AssetRef, "asset-id", "asset-key")),
]
"""`root` (the tenant's root asset), the key of an asset in the project, or `{id: <assetId>}`."""


class AssetLocation(Model):
    """An asset's postal/geo location."""

    country: str | None = None
    region: str | None = None
    locality: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None


class Asset(Model):
    """An asset, addressed by its YAML key."""

    name: str
    type: str
    parent: ParentRef = "root"
    external_id: Annotated[str, Field(max_length=255)] | None = None
    description: str | None = None
    variables: dict[str, Scalar | None] = Field(default_factory=dict)
    aspects: dict[str, dict[str, Scalar | None]] = Field(default_factory=dict)
    location: AssetLocation | None = None
    timezone: str | None = None
    twin_type: Literal["performance", "simulation"] | None = None
    id: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class DataPoint(Model):
    """A data point of a data source; its YAML key is its id."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    type: DataType
    unit: Annotated[str, Field(max_length=32)] = ""
    description: Annotated[str, Field(max_length=256)] | None = None


class DataSource(Model):
    """A data source of an agent's data source configuration; its YAML key is its name."""

    description: Annotated[str, Field(max_length=256)] | None = None
    data_points: dict[str, DataPoint] = Field(default_factory=dict)


class Mapping(Model):
    """Data point → asset aspect variable."""

    data_point: str
    asset: str
    aspect: str
    variable: str


class EventMapping(Model):
    """Events of one type whose `field` equals `value` go to `asset`."""

    asset: str
    event_type: Annotated[str, Field(min_length=1, max_length=64)]
    event_type_name: Annotated[str, Field(min_length=1, max_length=64)]
    field: Annotated[str, Field(min_length=1, max_length=64)]
    value: Annotated[str, Field(min_length=1, max_length=255)]


class Agent(Model):
    """A MindConnect agent with its core.mclib asset, data sources and mappings."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    parent: ParentRef = "root"
    security_profile: Literal["SHARED_SECRET", "RSA_3072"] = "SHARED_SECRET"
    configuration_id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    data_sources: dict[str, DataSource] = Field(default_factory=dict)
    mappings: list[Mapping] = Field(default_factory=list)
    event_mappings: list[EventMapping] = Field(default_factory=list)
    prune_mappings: bool = False
    id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class InsightsHub(Model):
    """The Insights Hub resources of a project."""

    aspect_types: dict[str, AspectType] = Field(default_factory=dict)
    asset_types: dict[str, AssetType] = Field(default_factory=dict)
    assets: dict[str, Asset] = Field(default_factory=dict)
    agents: dict[str, Agent] = Field(default_factory=dict)


# --------------------------------------------------------------------------- iTwin IoT


class GeoPoint(Model):
    """A WGS84 point: longitude, latitude and optional elevation."""

    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    elev: float | None = None


class Metric(Model):
    """One metric of a sensor and its unit (metric i pairs with unit i)."""

    metric: Annotated[str, Field(min_length=1)]
    unit: str = ""


class Sensor(Model):
    """A sensor of a device; its refId is derived from stack and keys.

    `id` pins an existing sensor (its raw id) to adopt it: the next apply gives it this stack's refId.
    """

    name: str | None = None
    template: Annotated[str, Field(min_length=1)]
    location: GeoPoint | None = None
    notes: str | None = None
    metrics: list[Metric] = Field(default_factory=list)
    id: Annotated[str, Field(min_length=1)] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class Device(Model):
    """A device of a connection; its refId is derived from stack and keys.

    `id` pins an existing device (its raw id) to adopt it: the next apply gives it this stack's refId.
    """

    name: str | None = None
    template: Annotated[str, Field(min_length=1)]
    location: GeoPoint | None = None
    notes: str | None = None
    sensors: dict[str, Sensor] = Field(default_factory=dict)
    id: Annotated[str, Field(min_length=1)] | None = None
    protect: bool = False
    lifecycle: Lifecycle | None = None


class Connection(Model):
    """An iTwin IoT connection (integration node), identified by a pinned id or by its marker device."""

    name: Annotated[str, Field(min_length=1)]
    id: Annotated[str, Field(min_length=1)] | None = None
    location: GeoPoint | None = None
    notes: str | None = None
    devices: dict[str, Device] = Field(default_factory=dict)
    protect: bool = False
    lifecycle: Lifecycle | None = None


class ItwinIot(Model):
    """The iTwin IoT resources of a project."""

    connections: dict[str, Connection] = Field(default_factory=dict)


# --------------------------------------------------------------------------- project


class Moved(Model):
    """A key rename (Terraform's `moved`): the live object at `from` is the one at `to` now."""

    from_: Annotated[str, Field(alias="from", min_length=1, max_length=1024,
                                description="The address the object had (it must no longer be declared).")]
    to: Annotated[str, Field(min_length=1, max_length=1024,
                             description="The address it has now (declared in the configuration).")]


class ProjectConfig(Model):
    """The merged desired state of a project directory."""

    stack: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
    platforms: Platforms = Field(default_factory=Platforms)
    insights_hub: InsightsHub = Field(default_factory=InsightsHub)
    itwin_iot: ItwinIot = Field(default_factory=ItwinIot)
    moved: list[Moved] = Field(default_factory=list)

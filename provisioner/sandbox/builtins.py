"""The built-in `core.*` types and the root asset every tenant starts with (reference 2.5, 8.4)."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

ROOT_TYPE = "core.basicenterprise"
AGENT_TYPE = "core.mclib"
CONNECTIVITY_ASPECT = "core.connectivityStatus"
# every aspect of a type has an aspectId (AMS `AssetTypeResource.aspects[].aspectId`); a fixed one here
CONNECTIVITY_ASPECT_ID = "c0ec7a11a5bec7000000000000000001"
# the root asset's built-in aspect (docs/sandbox.md, `root_aspects`): the vendor SDK's spec "should GET
# aspects" ran against the real service and needs at least one aspect on the root asset; no source we
# found names it, so name, type and variable are the sandbox's own
ROOT_ASPECT = "core.tenantinfo"
ROOT_ASPECT_ID = "c0ec7a11a5bec7000000000000000002"


def _var(name: str, data_type: str, length: int | None = None, unit: str = "") -> Doc:
    return {
        "name": name,
        "dataType": data_type,
        "unit": unit,
        "searchable": False,
        "length": length,
        "defaultValue": None,
        "qualityCode": False,
    }


def builtin_aspect_types(tenant: str, root_aspects: bool = True) -> list[Doc]:
    """Predefined aspect types (readable by everyone, not modifiable)."""
    root = [
        {
            "id": ROOT_ASPECT,
            "tenantId": "core",
            "name": "tenantinfo",
            "category": "static",
            "scope": "public",
            "description": "Tenant information of the root asset",
            "variables": [_var("tenantName", "STRING", 128)],
            "etag": 0,
        }
    ]
    return (root if root_aspects else []) + [
        {
            "id": CONNECTIVITY_ASPECT,
            "tenantId": "core",
            "name": "connectivityStatus",
            "category": "static",
            "scope": "public",
            "description": "Connectivity status of an agent",
            "variables": [_var("connected", "BOOLEAN"), _var("lastUpdated", "TIMESTAMP")],
            "etag": 0,
        }
    ]


def _type(
    type_id: str,
    parent: str | None,
    description: str,
    variables: list[Doc] | None = None,
    aspects: list[Doc] | None = None,
) -> Doc:
    doc: Doc = {
        "id": type_id,
        "tenantId": "core",
        "name": type_id.split(".", 1)[1],
        "description": description,
        "instantiable": True,
        "scope": "public",
        "etag": 0,
        "variables": [{k: v for k, v in var.items() if k != "qualityCode"} for var in variables or []],
        "aspects": aspects or [],
        "fileAssignments": [],
    }
    if parent:
        doc["parentTypeId"] = parent
    return doc


def builtin_asset_types(tenant: str, root_aspects: bool = True) -> list[Doc]:
    """core.basicasset and the types derived from it that clients use."""
    tenant_info = [{"name": "tenantinfo", "aspectTypeId": ROOT_ASPECT, "aspectId": ROOT_ASPECT_ID}]
    connectivity = [
        {
            "name": "connectivityStatus",
            "aspectTypeId": CONNECTIVITY_ASPECT,
            "aspectId": CONNECTIVITY_ASPECT_ID,
        }
    ]
    return [
        _type("core.basicasset", None, "Basic asset"),
        _type(
            ROOT_TYPE,
            "core.basicasset",
            "Basic enterprise",
            [_var("tenantFlag", "BOOLEAN")],
            aspects=tenant_info if root_aspects else None,
        ),
        _type("core.basicsite", "core.basicasset", "Basic site"),
        _type("core.basicarea", "core.basicasset", "Basic area"),
        _type(
            "core.basicdevice",
            "core.basicasset",
            "Basic device",
            [_var("serialNumber", "STRING", 255), _var("firmwareVersion", "STRING", 255)],
        ),
        _type(AGENT_TYPE, "core.basicasset", "MindConnect Lib agent", aspects=connectivity),
    ]


def root_asset(tenant: str, asset_id: str) -> Doc:
    """The tenant's root asset as observed on real tenants (etag 0, parentId "", tenantFlag)."""
    return {
        "assetId": asset_id,
        "name": tenant,
        "externalId": None,
        "description": f"Root Asset for {tenant} tenant",
        "typeId": ROOT_TYPE,
        "parentId": "",
        "timezone": "Europe/Berlin",
        "twinType": "performance",
        "etag": 0,
        "location": None,
        "variables": [{"name": "tenantFlag", "value": "true"}],
        "aspects": [],
        "fileAssignments": [],
        "locks": [],
    }

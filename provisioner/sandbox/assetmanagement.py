"""The Asset Management v3 route table (handlers live in am_types and am_assets)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.am_assets import AssetService
from provisioner.sandbox.am_types import TypeService
from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.handlers import HAL, ih_route, json_response

BASE = "/api/assetmanagement/v3"


def build_asset_management_routes(ctx: IhContext) -> list[BaseRoute]:
    types, assets = TypeService(ctx), AssetService(ctx)

    async def billboard(request: Request) -> Response:
        base = request_base_url(request) + BASE
        return json_response(
            {
                "self": {"href": f"{base}/"},
                "aspectTypes": {"href": f"{base}/aspecttypes"},
                "assetTypes": {"href": f"{base}/assettypes"},
                "assets": {"href": f"{base}/assets"},
                "files": {"href": f"{base}/files"},
            },
            media_type=HAL,
        )

    def r(path: str, method: str, handler: Any) -> Route:
        return ih_route(ctx, "am", BASE + path, [method], handler)

    return [
        r("/", "GET", billboard),
        r("/aspecttypes", "GET", types.list_aspect_types),
        r("/aspecttypes/{id}", "GET", types.get_aspect_type),
        r("/aspecttypes/{id}", "PUT", types.put_aspect_type),
        r("/aspecttypes/{id}", "PATCH", types.patch_aspect_type),
        r("/aspecttypes/{id}", "DELETE", types.delete_aspect_type),
        r("/aspecttypes/{id}/variables", "PATCH", types.patch_aspect_type_variables),
        r("/assettypes", "GET", types.list_asset_types),
        r("/assettypes/{id}", "GET", types.get_asset_type),
        r("/assettypes/{id}", "PUT", types.put_asset_type),
        r("/assettypes/{id}", "PATCH", types.patch_asset_type),
        r("/assettypes/{id}", "DELETE", types.delete_asset_type),
        r("/assettypes/{id}/variables", "PATCH", types.patch_asset_type_variables),
        r("/assettypes/{id}/fileAssignments/{key}", "PUT", types.put_file_assignment),
        r("/assettypes/{id}/fileAssignments/{key}", "DELETE", types.delete_file_assignment),
        r("/assets", "GET", assets.list_assets),
        r("/assets", "POST", assets.create_asset),
        r("/assets/root", "GET", assets.get_root),
        r("/assets/{id}", "GET", assets.get_asset),
        r("/assets/{id}", "PUT", assets.put_asset),
        r("/assets/{id}", "PATCH", assets.patch_asset),
        r("/assets/{id}", "DELETE", assets.delete_asset),
        r("/assets/{id}/move", "POST", assets.move_asset),
        r("/assets/{id}/aspects", "GET", assets.list_aspects),
        r("/assets/{id}/variables", "GET", assets.list_variables),
        r("/assets/{id}/location", "PUT", assets.put_location),
        r("/assets/{id}/location", "DELETE", assets.delete_location),
        r("/assets/{id}/fileAssignments/{key}", "PUT", assets.put_file_assignment),
        r("/assets/{id}/fileAssignments/{key}", "DELETE", assets.delete_file_assignment),
    ]

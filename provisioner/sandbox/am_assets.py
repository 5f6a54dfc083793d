"""Asset Management assets: POST, GET (one, list, root), PUT, PATCH, DELETE, move, aspects, variables."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from provisioner.sandbox import am_rules as rules
from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.builtins import ROOT_TYPE
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.filters import Predicate, apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import HAL, check_if_match, etag_value, json_body, json_response
from provisioner.sandbox.paging import hal_page, page_params
from provisioner.sandbox.store import new_id, type_key

Doc = dict[str, Any]
BASE = "/api/assetmanagement/v3"
ASSET_FIELDS = frozenset(
    {
        "assetId",
        "tenantId",
        "name",
        "externalId",
        "t2tenant",
        "subTenant",
        "timezone",
        "twinType",
        "deleted",
        "parentId",
        "typeId",
        "fileId",
        "description",
        "etag",
    }
)
UPDATABLE = ("name", "externalId", "description", "location", "variables", "aspects", "fileAssignments")
LOCATION_FIELDS = ("country", "region", "locality", "streetAddress", "postalCode", "longitude", "latitude")


_PARENT_FILTER_HEAD = quote('{"parentId":')
_PARENT_FILTER_TAIL = quote("}")


def _children_filter(asset_id: str) -> str:
    """The URL-quoted filter `{"parentId":"<id>"}` of an asset's children link (ids are hex:
    nothing to quote but the JSON quotes; urllib's per-character quoting was most of a page)."""
    if asset_id.isascii() and asset_id.isalnum():
        return f"{_PARENT_FILTER_HEAD}%22{asset_id}%22{_PARENT_FILTER_TAIL}"
    return f"{_PARENT_FILTER_HEAD}{quote(json.dumps(asset_id))}{_PARENT_FILTER_TAIL}"


class AssetService:
    """Handlers for `/assets…`; deleted assets are removed from the store (they vanish from lists)."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, doc: Doc, base: str, *, basic: bool = False) -> Doc:
        href = f"{base}{BASE}/assets/{doc['assetId']}"
        out = rules.strip_none(doc)
        if basic:
            for key in ("variables", "aspects", "fileAssignments", "location"):
                out.pop(key, None)
        out["locks"] = [
            {**lock, "_links": {"self": {"href": f"{href}/locks/{lock['id']}"}}}
            for lock in doc.get("locks", [])
        ]
        out["sharing"] = {"modes": []}
        links: Doc = {
            "self": {"href": href},
            "children": {"href": f"{base}{BASE}/assets?filter={_children_filter(doc['assetId'])}"},
            "variables": {"href": f"{href}/variables"},
            "aspects": {"href": f"{href}/aspects"},
            "location": {"href": f"{href}/location"},
        }
        if doc["parentId"]:
            links["parent"] = {"href": f"{base}{BASE}/assets/{doc['parentId']}"}
        out["_links"] = links
        out["hierarchyPath"] = self._hierarchy(doc)
        return out

    def _hierarchy(self, doc: Doc) -> list[Doc]:
        path: list[Doc] = []
        parent = doc["parentId"]
        while parent and len(path) < 1000:
            node = self.ctx.state.assets.get(parent)
            if node is None:
                break
            path.append({"assetId": node["assetId"], "name": node["name"]})
            parent = node["parentId"]
        path.reverse()
        return path

    def _get(self, asset_id: str) -> Doc:
        doc = self.ctx.state.assets.get(asset_id.lower())
        if doc is None:
            raise HttpError(404, f"Asset with id '{asset_id}' not found")
        return doc

    def _respond(
        self, request: Request, doc: Doc, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return json_response(
            self.render(doc, request_base_url(request)),
            status,
            media_type=HAL,
            headers={"ETag": f'"{doc["etag"]}"', **(headers or {})},
        )

    # -- reads -------------------------------------------------------------------------------------
    async def list_assets(self, request: Request) -> Response:
        page, size = page_params(request, 10, self.ctx.settings.max_page_size)
        query = request.query_params
        predicate = parse_filter(query.get("filter"), ASSET_FIELDS, {"hasType": self._has_type})
        order = parse_sort(query.get("sort"), ASSET_FIELDS, "assetId")
        docs = self._candidates(query.get("filter"))
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        elif self.ctx.settings.asset_list_order == "name":
            docs.sort(key=lambda d: (str(d.get("name") or "").lower(), d["assetId"]))
        body = hal_page(request, "assets", docs, page, size)
        if "_embedded" in body:
            base = request_base_url(request)
            basic = query.get("basicFieldsOnly", "false").lower() == "true"
            body["_embedded"]["assets"] = [
                self.render(d, base, basic=basic) for d in body["_embedded"]["assets"]
            ]
        return json_response(body, media_type=HAL)

    def _candidates(self, raw: str | None) -> list[Doc]:
        """Assets to filter: from the parent, type or name index when the filter pins one to a plain
        value (a superset of the matches, in creation order; the predicate decides)."""
        state = self.ctx.state
        try:
            tree = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            tree = None  # parse_filter reports it
        if isinstance(tree, dict):
            if isinstance(tree.get("parentId"), str):
                return [state.assets[i] for i in state.asset_children.get(tree["parentId"].lower(), {})]
            if isinstance(tree.get("typeId"), str):
                return [state.assets[i] for i in state.assets_by_type.get(type_key(tree["typeId"]), {})]
            if isinstance(tree.get("name"), str):  # in creation order, as a scan would list them
                named = state.assets_by_name.get(tree["name"].lower(), {})
                ids = sorted(named, key=state.asset_position.__getitem__)
                return [state.assets[i] for i in ids]
        return list(state.assets.values())

    def _has_type(self, value: Any) -> Predicate:
        keys = set(self.ctx.state.type_descendants(str(value)))
        return lambda d: type_key(d["typeId"]) in keys

    async def get_asset(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        if etag_value(request.headers.get("if-none-match")) == str(doc["etag"]):
            return Response(status_code=304, headers={"ETag": f'"{doc["etag"]}"'})
        return self._respond(request, doc)

    async def get_root(self, request: Request) -> Response:
        return self._respond(request, self._get(self.ctx.root_id))

    async def list_aspects(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        page, size = page_params(request, 10, self.ctx.settings.max_page_size)
        state, base = self.ctx.state, request_base_url(request)
        values = {a["name"]: a.get("variables", []) for a in doc.get("aspects", [])}
        items: list[Doc] = []
        for owner in state.type_lineage(doc["typeId"]):
            for aspect in owner.get("aspects", []):
                aspect_type = state.aspect_types.get(type_key(aspect["aspectTypeId"]))
                if aspect_type is None:
                    continue
                set_values = {v["name"]: v.get("value") for v in values.get(aspect["name"], [])}
                variables = []
                for var in aspect_type["variables"]:
                    rendered = rules.strip_none(var)
                    if var["name"] in set_values:
                        rendered["defaultValue"] = set_values[var["name"]]
                    variables.append(rendered)
                items.append(
                    {
                        "aspectTypeId": aspect_type["id"],
                        "holderAssetId": doc["assetId"],
                        "name": aspect["name"],
                        "aspectId": aspect["aspectId"],
                        "category": aspect_type["category"],
                        "variables": variables,
                        "_links": {"self": {"href": f"{base}{BASE}/assets/{doc['assetId']}/aspects"}},
                    }
                )
        return json_response(hal_page(request, "aspects", items, page, size), media_type=HAL)

    async def list_variables(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        page, size = page_params(request, 10, self.ctx.settings.max_page_size)
        items = [
            rules.strip_none(v)
            for owner in self.ctx.state.type_lineage(doc["typeId"])
            for v in owner.get("variables", [])
        ]
        return json_response(hal_page(request, "variables", items, page, size), media_type=HAL)

    # -- validation --------------------------------------------------------------------------------
    def _values(self, type_id: str, body: Doc) -> dict[str, Any]:
        """Validate the updatable fields of an asset body against its type."""
        name = rules.text(body, "name", required=True, max_len=128, min_len=1)
        assert name is not None
        if "/" in name or "\\" in name:
            raise rules.bad(f"Invalid asset name '{name}': must not contain / or \\")
        out: dict[str, Any] = {
            "name": name,
            "externalId": rules.text(body, "externalId"),
            "description": rules.text(body, "description", no_quote=True),
            "location": self._location(body.get("location")),
            "fileAssignments": body.get("fileAssignments") or [],
        }
        lineage = self.ctx.state.type_lineage(type_id)
        type_vars = {v["name"]: v for owner in lineage for v in owner.get("variables", [])}
        out["variables"] = self._variable_values(
            body.get("variables") or [], type_vars, f"asset type '{type_id}'"
        )
        static_aspects: dict[str, Doc] = {}
        for owner in lineage:
            for aspect in owner.get("aspects", []):
                aspect_type = self.ctx.state.aspect_types.get(type_key(aspect["aspectTypeId"]))
                if aspect_type is not None:
                    static_aspects[aspect["name"]] = aspect_type
        aspects = []
        raw_aspects = body.get("aspects") or []
        if not isinstance(raw_aspects, list):
            raise rules.bad("Field 'aspects' must be a list")
        for item in raw_aspects:
            if not isinstance(item, dict):
                raise rules.bad(f"Aspect value must be an object, got {json.dumps(item)}")
            aspect_name = item.get("name")
            aspect_type = static_aspects.get(str(aspect_name))
            if aspect_type is None:
                raise rules.bad(f"Aspect '{aspect_name}' does not belong to asset type '{type_id}'")
            if aspect_type["category"] != "static":
                raise rules.bad(f"Aspect '{aspect_name}' is dynamic; only static aspect values can be set")
            defs = {v["name"]: v for v in aspect_type["variables"]}
            aspects.append(
                {
                    "name": aspect_name,
                    "variables": self._variable_values(
                        item.get("variables") or [], defs, f"aspect '{aspect_name}'"
                    ),
                }
            )
        out["aspects"] = aspects
        return out

    @staticmethod
    def _variable_values(raw: Any, defs: dict[str, Doc], owner: str) -> list[Doc]:
        if not isinstance(raw, list):
            raise rules.bad(f"Variables of {owner} must be a list")
        out = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise rules.bad(f"Variable value must be an object with a name, got {json.dumps(item)}")
            if item["name"] not in defs:
                raise rules.bad(f"Variable '{item['name']}' does not belong to {owner}")
            value = item.get("value")
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise rules.bad(
                    f"Value of variable '{item['name']}' must be a string of at most 255 characters"
                )
            out.append({"name": item["name"], "value": value})
        return out

    @staticmethod
    def _location(raw: Any) -> Doc | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise rules.bad(f"Field 'location' must be an object, got {json.dumps(raw)}")
        for key, low, high in (("longitude", -180, 180), ("latitude", -90, 90)):
            value = raw.get(key)
            if value is not None and (not isinstance(value, int | float) or not low <= value <= high):
                raise rules.bad(f"Invalid {key} {value}: must be between {low} and {high}")
        return {k: raw[k] for k in LOCATION_FIELDS if raw.get(k) is not None}

    @staticmethod
    def _timezone(value: Any) -> str:
        if not isinstance(value, str):
            raise rules.bad(f"Invalid timezone {json.dumps(value)}")
        try:
            zone = ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise rules.bad(f"Invalid timezone '{value}': not a known zone id") from None
        offset = zone.utcoffset(datetime.now(UTC).replace(tzinfo=None))
        if offset is not None and (offset.total_seconds() // 60) % 30:
            raise rules.bad(f"Timezone '{value}' has an offset of 15 or 45 minutes, which is not supported")
        return value

    # -- writes ------------------------------------------------------------------------------------
    async def create_asset(self, request: Request) -> Response:
        state = self.ctx.state
        body = await json_body(request)
        type_id, parent_id = body.get("typeId"), body.get("parentId")
        if not isinstance(type_id, str):
            raise rules.bad("Field 'typeId' is required")
        if not isinstance(parent_id, str):
            raise rules.bad("Field 'parentId' is required")
        asset_type = state.asset_types.get(type_key(type_id))
        if asset_type is None:
            raise rules.bad(f"Asset type '{type_id}' does not exist")
        if not asset_type.get("instantiable", True) or type_key(type_id) == ROOT_TYPE:
            raise rules.bad(f"Asset type '{type_id}' is not instantiable")
        parent = state.assets.get(parent_id.lower())
        if parent is None:
            raise rules.bad(f"Parent asset '{parent_id}' does not exist")
        values = self._values(asset_type["id"], body)
        twin = body.get("twinType", "performance")
        if twin not in ("performance", "simulation"):
            raise rules.bad(f"Invalid twinType '{twin}': must be performance or simulation")
        timezone = self._timezone(body["timezone"]) if body.get("timezone") else parent["timezone"]
        asset_id = new_id(self.ctx.rng)
        doc: Doc = {
            "assetId": asset_id,
            "tenantId": self.ctx.settings.tenant,
            **values,
            "typeId": asset_type["id"],
            "parentId": parent["assetId"],
            "timezone": timezone,
            "twinType": twin,
            "etag": 0,
            "locks": [],
        }
        state.put_asset(doc)
        self.ctx.on_change()
        location = f"{request_base_url(request)}{BASE}/assets/{asset_id}"
        return self._respond(request, doc, 201, {"Location": location})

    def _check_fixed(self, doc: Doc, body: Doc) -> None:
        for key in ("typeId", "timezone"):
            if key in body and body[key] is not None and str(body[key]).lower() != str(doc[key]).lower():
                raise rules.bad(f"Field '{key}' cannot be changed from '{doc[key]}' to '{body[key]}'")
        if "parentId" in body and body["parentId"] and body["parentId"].lower() != doc["parentId"]:
            raise rules.bad("Field 'parentId' cannot be changed by update; use POST /assets/{id}/move")

    async def put_asset(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        check_if_match(request, str(doc["etag"]), self.ctx.settings.missing_if_match_status)
        body = await json_body(request)
        self._check_fixed(doc, body)
        return self._save(request, doc, self._values(doc["typeId"], body))

    async def patch_asset(self, request: Request) -> Response:
        doc = self._get(request.path_params["id"])
        check_if_match(request, str(doc["etag"]), self.ctx.settings.missing_if_match_status)
        patch = await json_body(request)
        self._check_fixed(doc, patch)
        current = {k: copy.deepcopy(doc[k]) for k in UPDATABLE if doc.get(k) is not None}
        merged = rules.merge_patch(
            current, {k: v for k, v in patch.items() if k not in ("variables", "aspects")}
        )
        # variables and aspects merge by name rather than replacing the arrays
        for key in ("variables", "aspects"):
            if isinstance(patch.get(key), list):
                by_name = {item["name"]: item for item in current.get(key, [])}
                for item in patch[key]:
                    if isinstance(item, dict) and "name" in item:
                        by_name[item["name"]] = item
                merged[key] = list(by_name.values())
        return self._save(request, doc, self._values(doc["typeId"], merged))

    def _save(self, request: Request, doc: Doc, values: Doc) -> Response:
        new = {**doc, **values, "etag": doc["etag"] + 1}
        self.ctx.state.put_asset(new)
        self.ctx.on_change()
        return self._respond(request, new)

    async def move_asset(self, request: Request) -> Response:
        state = self.ctx.state
        doc = self._get(request.path_params["id"])
        check_if_match(request, str(doc["etag"]), self.ctx.settings.missing_if_match_status)
        body = await json_body(request)
        target_id = body.get("newParentId")
        if not isinstance(target_id, str):
            raise rules.bad("Field 'newParentId' is required")
        target = state.assets.get(target_id.lower())
        if target is None:
            raise rules.bad(f"New parent asset '{target_id}' does not exist")
        if doc["assetId"] == self.ctx.root_id:
            raise rules.bad("The root asset cannot be moved")
        node: Doc | None = target
        while node is not None:
            if node["assetId"] == doc["assetId"]:
                raise rules.bad(
                    f"Asset '{doc['assetId']}' cannot be moved below its own descendant '{target_id}'"
                )
            node = state.assets.get(node["parentId"]) if node["parentId"] else None
        new = {**doc, "parentId": target["assetId"], "etag": doc["etag"] + 1}
        state.put_asset(new)
        self.ctx.on_change()
        return self._respond(request, new)

    async def delete_asset(self, request: Request) -> Response:
        state, settings = self.ctx.state, self.ctx.settings
        doc = self._get(request.path_params["id"])
        check_if_match(request, str(doc["etag"]), settings.missing_if_match_status)
        asset_id = doc["assetId"]
        if asset_id == self.ctx.root_id:
            raise rules.bad("The root asset cannot be deleted")
        if state.asset_children.get(asset_id):
            raise HttpError(
                settings.delete_guard_status, f"Asset '{asset_id}' has child assets and cannot be deleted"
            )
        if doc.get("locks"):
            lock = doc["locks"][0]
            raise HttpError(
                settings.delete_guard_status,
                f"Asset '{asset_id}' is locked ({lock['reasonCode']}): {lock['reason']}",
            )
        state.drop_asset(asset_id)
        # cascade (sandbox choice): the asset's never-onboarded agent goes with it; mappings to the asset stay
        # and turn INVALID (MISSING_PROPERTY) when next read
        if asset_id in state.agents:
            state.drop_agent(asset_id)
        self.ctx.on_change()
        return Response(status_code=204)

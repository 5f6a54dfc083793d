"""Asset Management aspect types and asset types: PUT create/update, PATCH, GET, DELETE, lists."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from provisioner.sandbox import am_rules as rules
from provisioner.sandbox.am_assets import file_assignments, file_key, unknown_file
from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.filters import apply_sort, parse_filter, parse_sort
from provisioner.sandbox.handlers import HAL, check_if_match, etag_value, json_response
from provisioner.sandbox.media import MERGE_PATCH, typed_body
from provisioner.sandbox.paging import hal_page, page_params
from provisioner.sandbox.store import new_id, type_key

Doc = dict[str, Any]
BASE = "/api/assetmanagement/v3"
TYPE_FIELDS = frozenset(
    {"id", "name", "tenantId", "description", "category", "scope", "parentTypeId", "instantiable", "etag"}
)


def _is_core(type_id: str) -> bool:
    return type_id.lower().startswith("core.")


def _forbid_core(type_id: str) -> None:
    if _is_core(type_id):
        raise HttpError(403, f"Type '{type_id}' is predefined and cannot be modified or deleted")


def _etag_headers(etag: int) -> dict[str, str]:
    return {"ETag": f'"{etag}"'}


def _not_modified(request: Request, etag: int) -> bool:
    return etag_value(request.headers.get("if-none-match")) == str(etag)


class TypeService:
    """Handlers for `/aspecttypes` and `/assettypes`."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    # -- rendering ---------------------------------------------------------------------------------
    def render_aspect_type(self, doc: Doc, base: str) -> Doc:
        out = rules.strip_none({k: v for k, v in doc.items() if k != "variables"})
        out["variables"] = [rules.strip_none(v) for v in doc["variables"]]
        out["sharing"] = {"modes": []}
        out["_links"] = {"self": {"href": f"{base}{BASE}/aspecttypes/{doc['id']}"}}
        return out

    def render_asset_type(self, doc: Doc, base: str, exploded: bool) -> Doc:
        state = self.ctx.state
        out = rules.strip_none({k: v for k, v in doc.items() if k not in ("variables", "aspects")})
        lineage = state.type_lineage(doc["id"]) if exploded else [doc]
        variables: list[Doc] = []
        aspects: list[Doc] = []
        for owner in lineage:
            origin = (
                {"origin": {"href": f"{base}{BASE}/assettypes/{owner['id']}"}} if owner is not doc else None
            )
            for var in owner.get("variables", []):
                rendered = rules.strip_none(var)
                if origin:
                    rendered["_links"] = origin
                variables.append(rendered)
            for aspect in owner.get("aspects", []):
                aspect_type = state.aspect_types.get(type_key(aspect["aspectTypeId"]))
                item: Doc = {"name": aspect["name"]}
                if aspect.get("aspectId"):  # state files written before built-ins had one lack it
                    item["aspectId"] = aspect["aspectId"]
                if aspect_type is not None:
                    item["aspectType"] = self.render_aspect_type(aspect_type, base)
                if origin:
                    item["_links"] = origin
                aspects.append(item)
        out["variables"] = variables
        out["aspects"] = aspects
        out["sharing"] = {"modes": []}
        links: Doc = {"self": {"href": f"{base}{BASE}/assettypes/{doc['id']}"}}
        if doc.get("parentTypeId"):
            links["parent"] = {"href": f"{base}{BASE}/assettypes/{doc['parentTypeId']}"}
        out["_links"] = links
        return out

    # -- aspect types ------------------------------------------------------------------------------
    def _writable(self, request: Request, lookup: Callable[[str], Doc]) -> tuple[str, Doc]:
        """The type a PATCH/DELETE targets: it exists, is not built-in, and If-Match holds."""
        type_id = request.path_params["id"]
        existing = lookup(type_id)
        _forbid_core(type_id)
        check_if_match(request, str(existing["etag"]), self.ctx.settings.missing_if_match_status)
        return type_id, existing

    def _save_variables(self, existing: Doc, variables: dict[str, Doc],
                        put: Callable[[Doc], None]) -> Response:
        """Store a type with its new variables (PATCH …/variables): 204 with the bumped ETag."""
        values = list(variables.values())
        rules.unique_names(values, "variable")
        doc = {**existing, "variables": values, "etag": existing["etag"] + 1}
        put(doc)
        self.ctx.on_change()
        return Response(status_code=204, headers=_etag_headers(doc["etag"]))

    async def list_aspect_types(self, request: Request) -> Response:
        return self._list(
            request, self.ctx.state.aspect_types, "aspectTypes", lambda d, b: self.render_aspect_type(d, b)
        )

    def _list(self, request: Request, table: dict[str, Doc], key: str, render: Any) -> Response:
        page, size = page_params(request, 10, self.ctx.settings.max_page_size)
        query = request.query_params
        predicate = parse_filter(query.get("filter"), TYPE_FIELDS)
        order = parse_sort(query.get("sort"), TYPE_FIELDS, "id")
        docs = list(table.values())
        if predicate is not None:
            docs = [d for d in docs if predicate(d)]
        if order:
            apply_sort(docs, order)
        base = request_base_url(request)
        body = hal_page(request, key, docs, page, size)
        if "_embedded" in body:
            body["_embedded"][key] = [render(d, base) for d in body["_embedded"][key]]
        return json_response(body, media_type=HAL)

    async def get_aspect_type(self, request: Request) -> Response:
        doc = self._aspect_type(request.path_params["id"])
        if _not_modified(request, doc["etag"]):
            return Response(status_code=304, headers=_etag_headers(doc["etag"]))
        return json_response(
            self.render_aspect_type(doc, request_base_url(request)),
            media_type=HAL,
            headers=_etag_headers(doc["etag"]),
        )

    def _aspect_type(self, type_id: str) -> Doc:
        doc = self.ctx.state.aspect_types.get(type_key(type_id))
        if doc is None:
            raise HttpError(404, f"Aspect type '{type_id}' not found")
        return doc

    async def put_aspect_type(self, request: Request) -> Response:
        type_id = request.path_params["id"]
        body = await typed_body(request, self.ctx.settings)
        existing = self.ctx.state.aspect_types.get(type_key(type_id))
        if existing is not None:
            _forbid_core(type_id)
            if etag_value(request.headers.get("if-none-match")) == "*":
                raise HttpError(412, f"Aspect type '{type_id}' already exists (If-None-Match: *)")
            check_if_match(request, str(existing["etag"]), self.ctx.settings.missing_if_match_status)
            return self._update_aspect_type(request, existing, body)
        _forbid_core(type_id)
        rules.check_type_id(type_id, self.ctx.settings.tenant)
        if etag_value(request.headers.get("if-match")) not in (None, "*"):
            raise HttpError(412, f"Aspect type '{type_id}' does not exist but If-Match was given")
        fields = rules.aspect_type_body(body, self.ctx.settings.tenant)
        if fields["scope"] != "private":
            raise rules.bad(f"Invalid scope '{fields['scope']}': only private aspect types can be created")
        if fields["name"].lower() in self.ctx.state.aspect_names:
            raise rules.bad(f"Aspect type name '{fields['name']}' is already used in the tenant")
        doc = {"id": type_id, "tenantId": self.ctx.settings.tenant, **fields, "etag": 0}
        self.ctx.state.put_aspect_type(doc)
        self.ctx.on_change()
        return json_response(
            self.render_aspect_type(doc, request_base_url(request)),
            201,
            media_type=HAL,
            headers=_etag_headers(0),
        )

    def _update_aspect_type(self, request: Request, existing: Doc, body: Doc) -> Response:
        fields = rules.aspect_type_body(body, self.ctx.settings.tenant)
        if fields["name"] != existing["name"]:
            raise rules.bad(
                f"Aspect type name cannot be changed from '{existing['name']}' to '{fields['name']}'"
            )
        if fields["category"] != existing["category"]:
            raise rules.bad(
                f"Aspect type category cannot be changed from '{existing['category']}' to "
                f"'{fields['category']}'"
            )
        new_vars = {v["name"]: v for v in fields["variables"]}
        for old in existing["variables"]:
            new = new_vars.get(old["name"])
            if new is None:
                raise rules.bad(
                    f"Variable '{old['name']}' cannot be removed by PUT or PATCH; use "
                    "PATCH /aspecttypes/{id}/variables"
                )
            rules.check_variable_change(old, new, category=existing["category"])
        doc = {**existing, **fields, "scope": existing["scope"], "etag": existing["etag"] + 1}
        self.ctx.state.put_aspect_type(doc)
        self.ctx.on_change()
        return json_response(
            self.render_aspect_type(doc, request_base_url(request)),
            media_type=HAL,
            headers=_etag_headers(doc["etag"]),
        )

    async def patch_aspect_type(self, request: Request) -> Response:
        _, existing = self._writable(request, self._aspect_type)
        patch = await typed_body(request, self.ctx.settings, MERGE_PATCH)
        current = self.render_aspect_type(existing, "")
        merged = rules.merge_patch(
            {
                k: current[k]
                for k in ("name", "category", "scope", "description", "variables")
                if k in current
            },
            patch,
        )
        return self._update_aspect_type(request, existing, merged)

    async def patch_aspect_type_variables(self, request: Request) -> Response:
        type_id, existing = self._writable(request, self._aspect_type)
        body = await typed_body(request, self.ctx.settings, MERGE_PATCH)
        category = existing["category"]
        variables = {v["name"]: v for v in existing["variables"]}
        for name, change in body.items():
            if change is None:
                if name not in variables:
                    raise HttpError(404, f"Variable '{name}' not found in aspect type '{type_id}'")
                del variables[name]
                continue
            if name in variables:
                old = variables[name]
                if not isinstance(change, dict) or set(change) - {"name", "unit", "length", "defaultValue"}:
                    raise rules.bad(
                        f"Variable '{name}': only name, unit, length and defaultValue can be updated"
                    )
                new = rules.variable({**old, **change}, category=category, quality=True)
                rules.check_variable_change(old, new, category=category)
                del variables[name]
                variables[new["name"]] = new
            else:
                variables[name] = rules.variable(
                    {"name": name, **(change if isinstance(change, dict) else {})},
                    category=category,
                    quality=True,
                )
        if not variables:
            raise rules.bad(f"Aspect type '{type_id}' must keep at least 1 variable")
        return self._save_variables(existing, variables, self.ctx.state.put_aspect_type)

    async def delete_aspect_type(self, request: Request) -> Response:
        type_id, _ = self._writable(request, self._aspect_type)
        users = self.ctx.state.aspect_users.get(type_key(type_id))
        if users:
            user = self.ctx.state.asset_types[sorted(users)[0]]["id"]
            raise HttpError(
                self.ctx.settings.delete_guard_status,
                f"Aspect type '{type_id}' is used by asset type '{user}' and cannot be deleted",
            )
        self.ctx.state.drop_aspect_type(type_key(type_id))
        self.ctx.on_change()
        return Response(status_code=204)

    # -- asset types -------------------------------------------------------------------------------
    async def list_asset_types(self, request: Request) -> Response:
        exploded = request.query_params.get("exploded", "false").lower() == "true"
        return self._list(
            request,
            self.ctx.state.asset_types,
            "assetTypes",
            lambda d, b: self.render_asset_type(d, b, exploded),
        )

    def _asset_type(self, type_id: str) -> Doc:
        doc = self.ctx.state.asset_types.get(type_key(type_id))
        if doc is None:
            raise HttpError(404, f"Asset type '{type_id}' not found")
        return doc

    async def get_asset_type(self, request: Request) -> Response:
        doc = self._asset_type(request.path_params["id"])
        if _not_modified(request, doc["etag"]):
            return Response(status_code=304, headers=_etag_headers(doc["etag"]))
        exploded = request.query_params.get("exploded", "false").lower() == "true"
        return json_response(
            self.render_asset_type(doc, request_base_url(request), exploded),
            media_type=HAL,
            headers=_etag_headers(doc["etag"]),
        )

    async def put_asset_type(self, request: Request) -> Response:
        type_id = request.path_params["id"]
        body = await typed_body(request, self.ctx.settings)
        existing = self.ctx.state.asset_types.get(type_key(type_id))
        _forbid_core(type_id)
        if existing is not None:
            if etag_value(request.headers.get("if-none-match")) == "*":
                raise HttpError(412, f"Asset type '{type_id}' already exists (If-None-Match: *)")
            check_if_match(request, str(existing["etag"]), self.ctx.settings.missing_if_match_status)
        else:
            rules.check_type_id(type_id, self.ctx.settings.tenant)
            if etag_value(request.headers.get("if-match")) not in (None, "*"):
                raise HttpError(412, f"Asset type '{type_id}' does not exist but If-Match was given")
        return self._save_asset_type(request, type_id, existing, body)

    async def patch_asset_type(self, request: Request) -> Response:
        type_id, existing = self._writable(request, self._asset_type)
        patch = await typed_body(request, self.ctx.settings, MERGE_PATCH)
        current = {
            k: copy.deepcopy(existing[k])
            for k in (
                "name",
                "description",
                "parentTypeId",
                "instantiable",
                "scope",
                "variables",
                "aspects",
                "fileAssignments",
            )
            if existing.get(k) is not None
        }
        current["variables"] = [rules.strip_none(v) for v in current.get("variables", [])]
        return self._save_asset_type(request, type_id, existing, rules.merge_patch(current, patch))

    def _save_asset_type(self, request: Request, type_id: str, existing: Doc | None, body: Doc) -> Response:
        state, settings = self.ctx.state, self.ctx.settings
        name = rules.text(body, "name", required=True, max_len=128, min_len=1)
        assert name is not None
        if not rules.ASSET_TYPE_NAME.fullmatch(name):
            raise rules.bad(f"Invalid asset type name '{name}'")
        description = rules.text(body, "description")
        parent_id = body.get("parentTypeId")
        if not isinstance(parent_id, str):
            raise rules.bad("Field 'parentTypeId' is required")
        parent = state.asset_types.get(type_key(parent_id))
        if parent is None:
            raise rules.bad(f"Parent type '{parent_id}' does not exist")
        instantiable = body.get("instantiable", True)
        if not isinstance(instantiable, bool):
            raise rules.bad(f"Field 'instantiable' must be a boolean, got {json.dumps(instantiable)}")
        scope = body.get("scope", "private")
        raw_vars = body.get("variables") or []
        raw_aspects = body.get("aspects") or []
        if not isinstance(raw_vars, list) or not isinstance(raw_aspects, list):
            raise rules.bad("Fields 'variables' and 'aspects' must be lists")
        variables = [rules.variable(v, category=None, quality=False) for v in raw_vars]
        for var in variables:
            if var["dataType"] == "BIG_STRING":
                raise rules.bad(f"Variable '{var['name']}': BIG_STRING is not allowed in asset types")
        rules.unique_names(variables, "variable")
        aspects = self._aspects(type_id, existing, raw_aspects)
        family = self._family_names(type_id, parent_id, existing is not None)
        for var in variables:
            if var["name"].lower() in family["variables"]:
                raise rules.bad(
                    f"Variable name '{var['name']}' is already used in the type family of '{type_id}'"
                )
        for aspect in aspects:
            if aspect["name"].lower() in family["aspects"]:
                raise rules.bad(
                    f"Aspect name '{aspect['name']}' is already used in the type family of '{type_id}'"
                )
        if existing is None:
            if scope != "private":
                raise rules.bad(f"Invalid scope '{scope}': only private asset types can be created")
            doc: Doc = {
                "id": type_id,
                "tenantId": settings.tenant,
                "name": name,
                "description": description,
                "parentTypeId": parent["id"],
                "instantiable": instantiable,
                "scope": scope,
                "etag": 0,
                "variables": variables,
                "aspects": aspects,
                "fileAssignments": file_assignments(body.get("fileAssignments"), None),
            }
            state.put_asset_type(doc)
            self.ctx.on_change()
            return json_response(
                self.render_asset_type(doc, request_base_url(request), False),
                201,
                media_type=HAL,
                headers=_etag_headers(0),
            )
        if type_key(parent_id) != type_key(existing["parentTypeId"]):
            raise rules.bad(
                f"parentTypeId cannot be changed from '{existing['parentTypeId']}' to '{parent_id}'"
            )
        if existing["instantiable"] and not instantiable:
            raise rules.bad(f"Asset type '{type_id}': instantiable cannot change from true to false")
        self._check_type_update(existing, variables, aspects)
        doc = {
            **existing,
            "name": name,
            "description": description,
            "instantiable": instantiable,
            "variables": variables,
            "aspects": aspects,
            "etag": existing["etag"] + 1,
            "fileAssignments": file_assignments(body.get("fileAssignments"), existing.get("fileAssignments")),
        }
        state.put_asset_type(doc)
        self.ctx.on_change()
        return json_response(
            self.render_asset_type(doc, request_base_url(request), False),
            media_type=HAL,
            headers=_etag_headers(doc["etag"]),
        )

    def _aspects(self, type_id: str, existing: Doc | None, raw: list[Any]) -> list[Doc]:
        by_id = {a.get("aspectId"): a for a in (existing or {}).get("aspects", [])}
        by_name = {a["name"]: a for a in (existing or {}).get("aspects", [])}
        out: list[Doc] = []
        for item in raw:
            if not isinstance(item, dict):
                raise rules.bad(f"Aspect must be an object, got {json.dumps(item)}")
            name, aspect_type_id = item.get("name"), item.get("aspectTypeId")
            if not isinstance(name, str) or not 1 <= len(name) <= 64 or not rules.ASPECT_NAME.fullmatch(name):
                raise rules.bad(
                    f"Invalid aspect name '{name}': must match [a-zA-Z0-9_]+ with 1 to 64 characters"
                )
            if not isinstance(aspect_type_id, str):
                raise rules.bad(f"Aspect '{name}': aspectTypeId is required")
            aspect_type = self.ctx.state.aspect_types.get(type_key(aspect_type_id))
            if aspect_type is None:
                raise rules.bad(f"Aspect '{name}': aspect type '{aspect_type_id}' does not exist")
            prior = by_id.get(item.get("aspectId") or "") or by_name.get(name)
            if prior is not None and type_key(prior["aspectTypeId"]) != type_key(aspect_type_id):
                raise rules.bad(
                    f"Aspect '{name}': its aspect type cannot change from '{prior['aspectTypeId']}' "
                    f"to '{aspect_type_id}'"
                )
            aspect_id = (prior or {}).get("aspectId") or new_id(self.ctx.rng)
            out.append({"name": name, "aspectTypeId": aspect_type["id"], "aspectId": aspect_id})
        rules.unique_names(out, "aspect")
        return out

    def _family_names(self, type_id: str, parent_id: str, exists: bool) -> dict[str, set[str]]:
        """Variable and aspect names of ancestors and descendants (not the type itself)."""
        state = self.ctx.state
        names: dict[str, set[str]] = {"variables": set(), "aspects": set()}
        relatives = state.type_lineage(parent_id)
        if exists:
            relatives += [state.asset_types[k] for k in state.type_descendants(type_id)[1:]]
        for doc in relatives:
            names["variables"].update(v["name"].lower() for v in doc.get("variables", []))
            names["aspects"].update(a["name"].lower() for a in doc.get("aspects", []))
        return names

    def _check_type_update(self, existing: Doc, variables: list[Doc], aspects: list[Doc]) -> None:
        strict = self.ctx.settings.asset_type_update_mode == "strict"
        new_vars = {v["name"]: v for v in variables}
        for old in existing.get("variables", []):
            new = new_vars.get(old["name"])
            if new is None:
                if strict:
                    raise rules.bad(f"Variable '{old['name']}' cannot be removed (strict mode)")
                continue
            if strict and rules.strip_none(new) != rules.strip_none(old):
                raise rules.bad(f"Variable '{old['name']}' cannot be changed (strict mode)")
            rules.check_variable_change(old, new, category=None)
        if strict:
            kept = {a["aspectId"] for a in aspects}
            for old in existing.get("aspects", []):
                if old.get("aspectId") not in kept:
                    raise rules.bad(f"Aspect '{old['name']}' cannot be removed (strict mode)")

    async def patch_asset_type_variables(self, request: Request) -> Response:
        type_id, existing = self._writable(request, self._asset_type)
        body = await typed_body(request, self.ctx.settings, MERGE_PATCH)
        variables = {v["name"]: v for v in existing["variables"]}
        for name, change in body.items():
            old = variables.get(name)
            if old is None:
                raise HttpError(404, f"Variable '{name}' not found in asset type '{type_id}'")
            if not isinstance(change, dict) or set(change) - {"name", "unit", "length", "defaultValue"}:
                raise rules.bad(f"Variable '{name}': only name, unit, length and defaultValue can be updated")
            new = rules.variable({**old, **change}, category=None, quality=False)
            rules.check_variable_change(old, new, category=None)
            del variables[name]
            variables[new["name"]] = new
        return self._save_variables(existing, variables, self.ctx.state.put_asset_type)

    async def delete_asset_type(self, request: Request) -> Response:
        type_id, _ = self._writable(request, self._asset_type)
        key = type_key(type_id)
        status = self.ctx.settings.delete_guard_status
        children = self.ctx.state.type_children.get(key)
        if children:
            child = self.ctx.state.asset_types[sorted(children)[0]]["id"]
            raise HttpError(status, f"Asset type '{type_id}' has child type '{child}' and cannot be deleted")
        if self.ctx.state.has_live_instances(key):
            raise HttpError(status, f"Asset type '{type_id}' is instantiated by assets and cannot be deleted")
        self.ctx.state.drop_asset_type(key)
        self.ctx.on_change()
        return Response(status_code=204)

    # -- file assignments --------------------------------------------------------------------------
    async def put_file_assignment(self, request: Request) -> Response:
        type_id, _ = self._writable(request, self._asset_type)
        key = file_key(request.path_params["key"])
        body = await typed_body(request, self.ctx.settings)
        raise unknown_file(body.get("fileId"), f"asset type '{type_id}' key '{key}'")

    async def delete_file_assignment(self, request: Request) -> Response:
        type_id, existing = self._writable(request, self._asset_type)
        key = request.path_params["key"]
        current = existing.get("fileAssignments") or []
        kept = [f for f in current if f.get("key") != key]
        if len(kept) == len(current):
            raise HttpError(404, f"File assignment with key '{key}' not found on asset type '{type_id}'")
        doc = {**existing, "fileAssignments": kept, "etag": existing["etag"] + 1}
        self.ctx.state.put_asset_type(doc)
        self.ctx.on_change()
        return json_response(
            self.render_asset_type(doc, request_base_url(request), False),
            media_type=HAL,
            headers=_etag_headers(doc["etag"]),
        )

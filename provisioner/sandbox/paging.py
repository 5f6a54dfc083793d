"""Page parameters and the two list shapes: HAL (Asset Management) and Spring (Agent/MindConnect)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.errors import HttpError

Doc = dict[str, Any]


# Java `int` bounds: the vendors parse page/size as 32-bit integers; anything larger is a 400
_INT_MAX = 2**31 - 1


def _int_param(raw: str | None, name: str) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        raise HttpError(400, f"Invalid paging parameters: {name} must be an integer, got '{raw[:40]}'")
    value = int(text)
    if not -_INT_MAX - 1 <= value <= _INT_MAX:
        raise HttpError(400, f"Invalid paging parameters: {name} {value} is out of range")
    return value


def page_params(request: Request, default_size: int, max_size: int) -> tuple[int, int]:
    """(page, size) from the query. `size=0` (or none) means the default size, as the vendor's
    own SDK tests send `page=0&size=0` and expect items; sizes above `max_size` are clamped;
    non-integers, out-of-range integers and negative values are a 400."""
    query = request.query_params
    page = _int_param(query.get("page"), "page") or 0
    size = _int_param(query.get("size"), "size") or default_size
    if page < 0 or size < 1:
        raise HttpError(400, f"Invalid paging parameters: page={page}, size={size}")
    if page * min(size, max_size) > _INT_MAX:
        raise HttpError(400, f"Invalid paging parameters: page={page} is out of range")
    return page, min(size, max_size)


def _slice(items: Sequence[Doc], page: int, size: int) -> tuple[Sequence[Doc], int]:
    total_pages = (len(items) + size - 1) // size
    return items[page * size : (page + 1) * size], total_pages


def hal_page(
    request: Request,
    key: str,
    items: Sequence[Doc],
    page: int,
    size: int,
    implied: dict[str, str] | None = None,
) -> Doc:
    """A HAL list; an empty result has an empty `_embedded` list, a page past the end none.
    `implied` are parameters the server applied without being asked (they appear in the links)."""
    chunk, total_pages = _slice(items, page, size)
    base = request_base_url(request) + request.scope["path"]

    def href(number: int) -> dict[str, str]:
        params = dict(request.query_params)
        params.update(page=str(number), size=str(size), **(implied or {}))
        # parameters in name order, as in the recorded real link (`basicFieldsOnly=false&page=0&…`)
        return {"href": f"{base}?{urlencode(sorted(params.items()), safe=',')}"}

    links: Doc = {"self": href(page)}
    if total_pages > 1:
        links["first"] = href(0)
        links["last"] = href(total_pages - 1)
        if page > 0:
            links["prev"] = href(min(page - 1, total_pages - 1))
        if page < total_pages - 1:
            links["next"] = href(page + 1)
    # a list that matches nothing still carries `_embedded` with an empty list: the vendor's SDK
    # tests iterate `_embedded.<key>` of such a filter (MCN asset-management-*.spec `before` hooks);
    # a page past the end of a non-empty list has no `_embedded` (reference 2.7)
    body: Doc = {}
    if chunk or not items:
        body["_embedded"] = {key: list(chunk)}
    body["page"] = {"size": size, "totalElements": len(items), "totalPages": total_pages, "number": page}
    body["_links"] = links
    return body


def spring_page(items: Sequence[Doc], page: int, size: int, order: list[tuple[str, bool]]) -> Doc:
    """A Spring Data page (`PagedAgent`, `PagedMapping`, `PagedEventMapping`)."""
    chunk, total_pages = _slice(items, page, size)
    sort = [
        {
            "direction": "DESC" if desc else "ASC",
            "property": name,
            "ignoreCase": False,
            "nullHandling": "NATIVE",
            "descending": desc,
            "ascending": not desc,
        }
        for name, desc in order
    ]
    return {
        "content": list(chunk),
        "last": page >= total_pages - 1,
        "totalPages": total_pages,
        "totalElements": len(items),
        "numberOfElements": len(chunk),
        "first": page == 0,
        "sort": sort,
        "size": size,
        "number": page,
    }

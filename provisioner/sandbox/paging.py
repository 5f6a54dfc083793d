"""Page parameters and the two list shapes: HAL (Asset Management) and Spring (Agent/MindConnect)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from provisioner.sandbox.auth_ih import request_base_url
from provisioner.sandbox.errors import HttpError

Doc = dict[str, Any]


def page_params(request: Request, default_size: int, max_size: int) -> tuple[int, int]:
    """(page, size) from the query; sizes above `max_size` are clamped, nonsense is a 400."""
    query = request.query_params
    try:
        page = int(query.get("page") or 0)
        size = int(query.get("size") or default_size)
    except ValueError:
        raise HttpError(400, "Invalid paging parameters: page and size must be integers") from None
    if page < 0 or size < 1:
        raise HttpError(400, f"Invalid paging parameters: page={page}, size={size}")
    return page, min(size, max_size)


def _slice(items: Sequence[Doc], page: int, size: int) -> tuple[Sequence[Doc], int]:
    total_pages = (len(items) + size - 1) // size
    return items[page * size : (page + 1) * size], total_pages


def hal_page(request: Request, key: str, items: Sequence[Doc], page: int, size: int) -> Doc:
    """A HAL list; a page past the end is an empty 200 without `_embedded` (reference 2.7)."""
    chunk, total_pages = _slice(items, page, size)
    base = request_base_url(request) + request.scope["path"]

    def href(number: int) -> dict[str, str]:
        params = dict(request.query_params)
        params.update(page=str(number), size=str(size))
        return {"href": f"{base}?{urlencode(params)}"}

    links: Doc = {"self": href(page)}
    if total_pages > 1:
        links["first"] = href(0)
        links["last"] = href(total_pages - 1)
        if page > 0:
            links["prev"] = href(min(page - 1, total_pages - 1))
        if page < total_pages - 1:
            links["next"] = href(page + 1)
    body: Doc = {}
    if chunk:
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

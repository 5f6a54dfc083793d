"""Walking the two list formats of Insights Hub: HAL (Asset Management) and Spring (AgM, MindConnect)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from provisioner.errors import ApiError

MAX_PAGES = 10_000

Json = dict[str, Any]
OnPage = Callable[[list[Json]], None]
FetchPage = Callable[[int], Awaitable[Any]]


def _items(value: object) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _too_many(what: str) -> ApiError:
    return ApiError(f"listing {what} did not end after {MAX_PAGES} pages; the service ignores paging")


async def _rest(fetch: FetchPage, total_pages: int, what: str) -> list[Any]:
    """Pages 1 … total_pages - 1 at once (the session's concurrency cap bounds them), in order."""
    if total_pages > MAX_PAGES:
        raise _too_many(what)
    return list(await asyncio.gather(*(fetch(n) for n in range(1, total_pages))))


def _hal_chunk(body: object, key: str) -> list[Json]:
    embedded = body.get("_embedded") if isinstance(body, dict) else None
    return _items(embedded.get(key)) if isinstance(embedded, dict) else []


async def hal_items(fetch: FetchPage, key: str, requested_size: int,
                    on_page: OnPage | None = None) -> list[Json]:
    """All items of a HAL list: `_embedded.<key>` of pages 0, 1, … until the last page.

    The last page is known from `page.totalPages`, else from a missing `_links.next`, else from a
    page shorter than `page.size` (or the requested size). A missing `_embedded` is an empty page.
    `on_page` sees each page's items as soon as that page arrives (pages may arrive out of order).
    """
    items: list[Json] = []
    report = on_page or _ignore

    async def fetch_reported(number: int) -> Any:
        body = await fetch(number)
        report(_hal_chunk(body, key))
        return body

    for number in range(MAX_PAGES):
        body = await fetch(number)
        chunk = _hal_chunk(body, key)
        report(chunk)
        body = body if isinstance(body, dict) else {}
        items.extend(chunk)
        if not chunk:
            return items
        page = body.get("page")
        page = page if isinstance(page, dict) else {}
        total_pages = page.get("totalPages")
        links = body.get("_links")
        if isinstance(total_pages, int):
            if number == 0 and total_pages > 1:  # the total is known: fetch the other pages together
                for rest in await _rest(fetch_reported, total_pages, key):
                    items.extend(_hal_chunk(rest, key))
                return items
            if number + 1 >= total_pages:
                return items
        elif isinstance(links, dict) and links:
            if "next" not in links:
                return items
        else:
            size = page.get("size")
            if len(chunk) < (size if isinstance(size, int) and size > 0 else requested_size):
                return items
    raise _too_many(key)


def _ignore(chunk: list[Json]) -> None:
    """The default `on_page`."""


async def spring_items(fetch: FetchPage, what: str, requested_size: int,
                       on_page: OnPage | None = None) -> list[Json]:
    """All `content` items of a Spring page sequence, pages 0, 1, … until `last` (or equivalent).
    `on_page` sees each page's items as soon as that page arrives (pages may arrive out of order)."""
    items: list[Json] = []
    report = on_page or _ignore

    async def fetch_reported(number: int) -> Any:
        body = await fetch(number)
        report(_spring_chunk(body))
        return body

    for number in range(MAX_PAGES):
        body = await fetch(number)
        chunk = _spring_chunk(body)
        report(chunk)
        body = body if isinstance(body, dict) else {}
        items.extend(chunk)
        if not chunk:
            return items
        last = body.get("last")
        total_pages = body.get("totalPages")
        if number == 0 and last is not True and isinstance(total_pages, int) and total_pages > 1:
            for rest in await _rest(fetch_reported, total_pages, what):  # the total is known: together
                items.extend(_spring_chunk(rest))
            return items
        if isinstance(last, bool):
            if last:
                return items
        elif isinstance(total_pages, int):
            if number + 1 >= total_pages:
                return items
        else:
            size = body.get("size")
            if len(chunk) < (size if isinstance(size, int) and size > 0 else requested_size):
                return items
    raise _too_many(what)


def _spring_chunk(body: object) -> list[Json]:
    return _items(body.get("content")) if isinstance(body, dict) else []

"""Generic checks of request input, done once in the middleware before any handler parses it.

A body over `max_body_bytes` is a 413; a JSON-carrying body (anything but a form) or a JSON
query value (`filter={…}`) that is not UTF-8, nests deeper than `max_json_depth` or holds a
number literal of more than MAX_NUMBER_DIGITS digits is a 400 — each in the error shape of the
vendor service that owns the path, as their gateways answer (the limits themselves are our
inference: `SandboxSettings.max_body_bytes` / `max_json_depth`, flags `--max-body-bytes` /
`--max-json-depth`). Handlers then never meet input that makes `json.loads` raise anything but
JSONDecodeError, or a structure deep enough to exhaust recursion.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

MAX_NUMBER_DIGITS = 1000
"""Python's int() refuses more than 4,300 digits; no vendor field carries more than 19."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_DELETE = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_LONG_NUMBER = re.compile(rb"[0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1))


class BodyTooLarge(Exception):
    """The request body passed the size limit."""


def json_problem(raw: bytes, max_depth: int) -> str | None:
    """Why `raw` (a would-be JSON text) is refused before parsing, or None."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "Request is not valid UTF-8"
    if b"[" not in raw and b"{" not in raw and not _LONG_NUMBER.search(raw):
        return None
    stripped = _STRING.sub(b'""', raw)
    if _LONG_NUMBER.search(stripped):
        return f"Request JSON holds a number with more than {MAX_NUMBER_DIGITS} digits"
    brackets = stripped.translate(None, _DELETE)
    too_deep = f"Request JSON nests deeper than {max_depth} levels"
    for peeled_levels in range(max_depth):
        if not brackets:
            return None
        peeled = _INNERMOST.sub(b"", brackets)
        if peeled == brackets:  # unbalanced: the rest nests at most len(brackets) deeper
            return too_deep if peeled_levels + len(brackets) > max_depth else None
        brackets = peeled
    return too_deep if brackets else None


def query_problem(scope: Scope, max_depth: int) -> str | None:
    """A refused JSON query value (`filter=...`), or None."""
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return None
    for _, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        encoded = value.encode("latin-1")
        if b"{" in encoded or b"[" in encoded or len(encoded) > MAX_NUMBER_DIGITS:
            problem = json_problem(encoded, max_depth)
            if problem is not None:
                return problem.replace("Request", "Query parameter")
    return None


def has_body(scope: Scope) -> bool:
    """Whether the request announces a body (Content-Length > 0 or chunked)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value[:20])
            except ValueError:
                return None
    return None


def is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"x-www-form-urlencoded" in value.lower()
    return False


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; BodyTooLarge as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def drain(receive: Receive, limit: int) -> None:
    """Read and discard the rest of a refused body (up to `limit` bytes) so that the connection
    stays usable: closing a socket with unread data resets it, and a client that reuses the
    connection for its next request would see that request dropped."""
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the buffered body, then defers to the real one."""
    sent = False

    async def inner() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return inner

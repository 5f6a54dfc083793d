"""Request Content-Type checks (415) for the media types the vendors' OpenAPI files declare."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from provisioner.sandbox.errors import HttpError
from provisioner.sandbox.handlers import json_body
from provisioner.sandbox.settings import SandboxSettings

JSON = ("application/json",)
# Asset Management PATCHes declare `consumes: application/merge-patch+json` (assetmanagement-v3-18-4.yaml)
MERGE_PATCH = ("application/merge-patch+json",)


def media_type_of(request: Request) -> str:
    """The request's media type without parameters, lower case; "" when there is none."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def check_media(request: Request, settings: SandboxSettings, allowed: tuple[str, ...]) -> None:
    """415 unless the request's Content-Type is one of `allowed` (switch `content_type_check`)."""
    if settings.content_type_check == "lenient":
        return
    have = media_type_of(request)
    if have not in allowed:
        shown = have or "none"
        raise HttpError(415, f"Content type '{shown}' not supported; this operation consumes {allowed[0]}")


async def typed_body(
    request: Request, settings: SandboxSettings, allowed: tuple[str, ...] = JSON
) -> dict[str, Any]:
    """The JSON object body of a request whose Content-Type is one of `allowed`."""
    check_media(request, settings, allowed)
    return await json_body(request)

"""`create_app`: the Starlette application serving both vendors' APIs on one origin."""

from __future__ import annotations

from starlette.applications import Starlette

from provisioner.sandbox.sandbox import Sandbox
from provisioner.sandbox.settings import SandboxSettings


def create_app(settings: SandboxSettings) -> Starlette:
    """A new sandbox's ASGI app (use `Sandbox` to also reach counts, reset and snapshot)."""
    return Sandbox(settings).app

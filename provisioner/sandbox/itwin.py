"""The iTwin IoT half of the sandbox (`provisioner.sandbox.itwin_iot`), configured from `SandboxSettings`."""

from __future__ import annotations

import random
from typing import Any

from starlette.routing import BaseRoute

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore, build_routes
from provisioner.sandbox.settings import SandboxSettings


def itwin_settings(settings: SandboxSettings) -> ItwinSettings:
    """The iTwin half's settings from the sandbox's `itwin_*` fields."""
    return ItwinSettings(project=settings.itwin_project, api_key=settings.itwin_api_key,
                         node_props_at_creation=settings.itwin_node_props_at_creation,
                         node_updates=settings.itwin_node_updates,
                         iiot_observation_query=settings.itwin_iiot_observation_query)


class ItwinHalf:
    """The iTwin store and its routes, mounted next to Insights Hub's."""

    def __init__(self, settings: SandboxSettings, rng: random.Random) -> None:
        self.settings = itwin_settings(settings)
        self.store = ItwinStore(self.settings, rng)
        self.routes: list[BaseRoute] = list(build_routes(self.store))

    @property
    def installed(self) -> bool:
        """Always true: the half is part of every build (kept for the CLI banner)."""
        return True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self.store.to_dict()
        return data

    def load_dict(self, data: dict[str, Any] | None) -> None:
        if data is not None:
            self.store.load_dict(data)

    def reset(self) -> None:
        self.store.reset()

"""Optional mount of the iTwin IoT half (`provisioner.sandbox.itwin_iot`, written separately)."""

from __future__ import annotations

import dataclasses
import importlib
import random
from typing import Any

from starlette.routing import BaseRoute

from provisioner.sandbox.settings import SandboxSettings

# our setting -> candidate field names in ItwinSettings
_FIELD_NAMES = {
    "itwin_project": ("project", "project_id", "default_project"),
    "itwin_api_key": ("api_key", "apikey", "key"),
}


class ItwinHalf:
    """The iTwin store and routes when the module is installed; inert otherwise."""

    def __init__(self, settings: SandboxSettings, rng: random.Random) -> None:
        self.store: Any = None
        self.settings: Any = None
        self.routes: list[BaseRoute] = []
        try:
            module: Any = importlib.import_module("provisioner.sandbox.itwin_iot")
        except ImportError:
            return
        if not all(hasattr(module, name) for name in ("ItwinSettings", "ItwinStore", "build_routes")):
            return
        itwin_settings = module.ItwinSettings()
        if dataclasses.is_dataclass(itwin_settings):
            names = {f.name for f in dataclasses.fields(itwin_settings)}
            for ours, candidates in _FIELD_NAMES.items():
                for name in candidates:
                    if name in names:
                        setattr(itwin_settings, name, getattr(settings, ours))
                        break
        self.settings = itwin_settings
        self.store = module.ItwinStore(itwin_settings, rng)
        self.routes = list(module.build_routes(self.store))

    @property
    def installed(self) -> bool:
        return self.store is not None

    def to_dict(self) -> dict[str, Any] | None:
        if self.store is None:
            return None
        data: dict[str, Any] = self.store.to_dict()
        return data

    def load_dict(self, data: dict[str, Any] | None) -> None:
        if self.store is not None and data is not None:
            self.store.load_dict(data)

    def reset(self) -> None:
        if self.store is not None:
            self.store.reset()

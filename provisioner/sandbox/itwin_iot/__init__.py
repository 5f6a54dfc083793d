"""Emulator of the iTwin IoT REST surface (iiot.bentley.com, api.bentley.com/sensor-data, IMS tokens)."""

from provisioner.sandbox.itwin_iot.routes import build_routes
from provisioner.sandbox.itwin_iot.settings import ItwinSettings
from provisioner.sandbox.itwin_iot.store import ItwinStore

__all__ = ["ItwinSettings", "ItwinStore", "build_routes"]

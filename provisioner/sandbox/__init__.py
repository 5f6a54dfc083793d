"""`provision sandbox`: a faithful local emulator of the Insights Hub and iTwin IoT APIs."""

from provisioner.sandbox.app import create_app
from provisioner.sandbox.sandbox import Sandbox
from provisioner.sandbox.settings import SandboxSettings

__all__ = ["Sandbox", "SandboxSettings", "create_app"]

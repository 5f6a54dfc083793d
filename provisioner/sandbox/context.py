"""What every Insights Hub handler shares: settings, state, id source, signer, change hook."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from provisioner.sandbox.auth_ih import Signer
from provisioner.sandbox.settings import SandboxSettings
from provisioner.sandbox.store import IhState
from provisioner.sandbox.telemetry import Telemetry


@dataclass
class IhContext:
    """Mutable shared state of the Insights Hub half of one sandbox."""

    settings: SandboxSettings
    state: IhState
    rng: random.Random
    signer: Signer
    root_id: str
    on_change: Callable[[], None] = field(default=lambda: None)
    telemetry: Telemetry = field(default_factory=Telemetry)

    def now(self) -> float:
        return self.settings.clock()

    def settle(self) -> None:
        """Finish the asynchronous offboardings that are due (called before every API request)."""
        if self.state.offboarding:
            final = "OFFBOARDED" if self.settings.offboard_status_mode == "offboarding" else "NOT_ONBOARDED"
            if self.state.settle_offboarding(self.now(), final):
                self.on_change()

    def now_iso(self) -> str:
        """The sandbox clock as an ISO-8601 UTC timestamp with milliseconds."""
        stamp = datetime.fromtimestamp(self.now(), tz=UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"

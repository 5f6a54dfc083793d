"""`moved:` blocks: a key renamed in the configuration keeps its live object (Terraform's semantics).

A move `from -> to` re-addresses the live object whose owner marker names `from` (and, for nested
addresses, everything under it: `itwin_iot.connections.north.devices.d1` follows a move of
`itwin_iot.connections.north`). The object keeps its server id; the plan shows an update that
rewrites its marker, plus whatever fields changed. Once applied, the marker names `to`, so the
block is a no-op and may stay in the configuration for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Moves:
    """The configuration's moves, `from` address -> `to` address (validated: `from` undeclared,
    `to` declared, one move per `from`)."""

    by_source: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Moves:
        return cls(dict(pairs))

    def __bool__(self) -> bool:
        return bool(self.by_source)

    def resolve(self, address: str) -> str:
        """The address a live object marked `address` has in the configuration now."""
        if not self.by_source:
            return address
        exact = self.by_source.get(address)
        if exact is not None:
            return exact
        # the longest moved prefix wins: a nested object follows its moved ancestor
        parts = address.split(".")
        for end in range(len(parts) - 1, 1, -1):
            target = self.by_source.get(".".join(parts[:end]))
            if target is not None:
                return ".".join([target, *parts[end:]])
        return address

    def origins(self) -> dict[str, str]:
        """`to` -> the first `from` that moves to it (the oldest address of a chain)."""
        found: dict[str, str] = {}
        for source, target in self.by_source.items():
            found.setdefault(target, source)
        return found

    def moved_from(self, address: str) -> tuple[str, str | None]:
        """(current address, the marked address when it moved, else None)."""
        current = self.resolve(address)
        return current, (address if current != address else None)

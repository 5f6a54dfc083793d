"""Resource addresses such as `insights_hub.assets.acme-motor` and `--target`/`--exclude` matching.

An address is a dotted string. A pattern matches an address when it equals it, when it is a
dotted prefix of it (`itwin_iot.connections.north` selects the connection and everything under
it), or when it matches as a shell glob (`insights_hub.assets.site-*`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase


def platform_of(address: str) -> str:
    """The platform an address belongs to: its first segment."""
    return address.split(".", 1)[0]


def address_matches(address: str, pattern: str) -> bool:
    """True if `pattern` selects `address` (exact, dotted prefix, or glob)."""
    if address == pattern or address.startswith(pattern + "."):
        return True
    if any(ch in pattern for ch in "*?["):
        return fnmatchcase(address, pattern) or fnmatchcase(address, pattern + ".*")
    return False


def select(addresses: Iterable[str], targets: Sequence[str] = (), excludes: Sequence[str] = ()) -> set[str]:
    """The addresses chosen by `--target` (all when empty) minus those matched by `--exclude`."""
    chosen = set()
    for address in addresses:
        if targets and not any(address_matches(address, t) for t in targets):
            continue
        if any(address_matches(address, e) for e in excludes):
            continue
        chosen.add(address)
    return chosen

"""Offline semantic validation: references, type and unit agreement, vendor limits, cycles.

Every issue names the resource address and the file:line:column of the offending value.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from provisioner.config.locations import Locator, Path
from provisioner.config.schema import ProjectConfig
from provisioner.errors import ConfigIssue


class Checker:
    """Collects issues; knows where every document path is written."""

    def __init__(self, config: ProjectConfig, locator: Locator, invalid: set[Path]) -> None:
        self.config = config
        self.locator = locator
        self.invalid = invalid
        self.issues: list[ConfigIssue] = []

    def error(self, message: str, path: Path, address: str, *, at_key: bool = False) -> None:
        where = self.locator.key(path) if at_key else self.locator.value(path)
        self.issues.append(ConfigIssue(message, where, address))

    def where(self, path: Path) -> str:
        loc = self.locator.key(path)
        return str(loc) if loc else "?"

    def was_invalid(self, collection: Path, key: object) -> bool:
        """True if `collection.key` exists but failed schema validation (already reported)."""
        return (*collection, key) in self.invalid


_LIST_DECLARED = 8


def did_you_mean(name: str, declared: Iterable[str]) -> str:
    """`; did you mean 'Engine'?` with the closest declared names, else the short list of them.

    Appended to an "unknown …" message; empty when nothing is declared or the list is long."""
    options = sorted(set(declared))
    by_lower = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(repr(by_lower[c]) for c in close) + "?"
    if options and len(options) <= _LIST_DECLARED:
        return f" (declared: {', '.join(options)})"
    return ""


def cycle_text(chain: Sequence[str]) -> str:
    return " → ".join(chain)


def find_cycles(parents: dict[str, str | None]) -> list[list[str]]:
    """Each parent cycle once, as its path (a, b, a), starting at its smallest key."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in parents:
        chain: list[str] = []
        seen: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parents and node not in done and node not in seen:
            seen[node] = len(chain)
            chain.append(node)
            node = parents[node]
        if node is not None and node in seen:
            loop = chain[seen[node] :]
            first = loop.index(min(loop))
            loop = loop[first:] + loop[:first]
            cycles.append([*loop, loop[0]])
        done.update(chain)
    return cycles


def validate_config(
    config: ProjectConfig, locator: Locator, invalid: Iterable[Path] = ()
) -> list[ConfigIssue]:
    """Every semantic problem of a schema-valid configuration."""
    from provisioner.config.validate_ih import check_insights_hub
    from provisioner.config.validate_itwin import check_itwin_iot
    from provisioner.config.validate_lifecycle import check_lifecycle, check_moved

    checker = Checker(config, locator, set(invalid))
    check_insights_hub(checker)
    check_itwin_iot(checker)
    check_lifecycle(checker)
    check_moved(checker)
    return checker.issues

"""Fault injection: a spec like `429=5%,503=2%,reset=1%,commit-fail=2%@/api/assetmanagement/*`,
drawn from a seeded random source so a run is repeatable."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

STATUS_KINDS = frozenset({"429", "500", "502", "503", "504"})
KINDS = STATUS_KINDS | {"reset", "commit-fail"}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RULE = re.compile(r"^\s*(?P<kind>[a-z0-9-]+)\s*=\s*(?P<pct>\d+(?:\.\d+)?)\s*%?\s*(?:@\s*(?P<glob>\S+))?\s*$")


class FaultSpecError(ValueError):
    """A fault spec that does not follow the grammar."""


@dataclass(frozen=True)
class FaultRule:
    """One `kind=percent[@glob]` term."""

    kind: str
    probability: float
    glob: str | None = None

    def applies(self, method: str, path: str) -> bool:
        if self.kind == "commit-fail" and method not in WRITE_METHODS:
            return False
        return self.glob is None or fnmatchcase(path, self.glob)


def parse_faults(spec: str) -> list[FaultRule]:
    """Parse a comma-separated fault spec; empty means no faults."""
    rules: list[FaultRule] = []
    for term in (t for t in spec.split(",") if t.strip()):
        match = _RULE.match(term)
        if match is None:
            raise FaultSpecError(f"invalid fault term '{term.strip()}': expected KIND=PERCENT[%][@PATH-GLOB]")
        kind = match["kind"]
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind '{kind}': use one of {', '.join(sorted(KINDS))}")
        pct = float(match["pct"])
        if pct > 100:
            raise FaultSpecError(f"fault '{kind}' probability {pct}% is above 100%")
        rules.append(FaultRule(kind, pct / 100.0, match["glob"]))
    if sum(r.probability for r in rules) > 1.0 + 1e-9:
        raise FaultSpecError("fault probabilities add up to more than 100%")
    return rules


class FaultInjector:
    """Draws at most one fault per request; one random number per request keeps runs repeatable."""

    def __init__(self, spec: str, rng: random.Random) -> None:
        self.rng = rng
        self.set_spec(spec)

    def set_spec(self, spec: str) -> None:
        self.rules = parse_faults(spec)
        self.spec = spec

    def draw(self, method: str, path: str) -> str | None:
        """The fault kind for this request, or None."""
        if not self.rules:
            return None
        roll = self.rng.random()
        acc = 0.0
        for rule in self.rules:
            if rule.applies(method, path):
                acc += rule.probability
                if roll < acc:
                    return rule.kind
        return None

    def commit_outcome(self) -> str:
        """How a committed write fails: a 5xx status or a dropped connection."""
        return self.rng.choice(("500", "502", "503", "reset"))

"""`--select` filters: which live objects an import reads into the project.

`kind:<kind>` (aspect_types, asset_types, assets, agents, connections), `asset:<key or id>` (an
asset and its whole subtree, agents included), `connection:<name, key or id>` (one iTwin
connection with its devices and sensors), `name:<prefix>` and `id:<prefix>` (any kind). Several
filters select the union; no filter selects everything. Whatever a selected object refers to
(types, mapped assets) is imported with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from provisioner.errors import ProvisionError

HUB_KINDS = ("aspect_types", "asset_types", "assets", "agents")
ITWIN_KINDS = ("connections",)
KINDS = (*HUB_KINDS, *ITWIN_KINDS)
FIELDS = ("kind", "asset", "connection", "name", "id")


@dataclass(frozen=True, slots=True)
class Selector:
    """One parsed `--select FIELD:VALUE`."""

    field: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"


def parse_selectors(texts: Iterable[str]) -> list[Selector]:
    """Parse `FIELD:VALUE` filters; ProvisionError naming the bad one."""
    found: list[Selector] = []
    for text in texts:
        field, sep, value = text.partition(":")
        field = field.strip().lower()
        value = value.strip()
        if not sep or field not in FIELDS or not value:
            forms = ", ".join(f + ":VALUE" for f in FIELDS)
            raise ProvisionError(f"bad --select {text!r}: use one of {forms}")
        if field == "kind":
            value = value.lower().replace("-", "_")
            value = value if value.endswith("s") else value + "s"
            if value not in KINDS:
                raise ProvisionError(f"bad --select {text!r}: kinds are {', '.join(KINDS)}")
        found.append(Selector(field, value))
    return found


@dataclass(frozen=True)
class Selection:
    """The filters of one import; `everything` when there are none."""

    selectors: Sequence[Selector] = ()

    @property
    def everything(self) -> bool:
        return not self.selectors

    def kind(self, kind: str) -> bool:
        """True when a `kind:` filter (or no filter) selects every object of `kind`."""
        return self.everything or Selector("kind", kind) in self.selectors

    def named(self, name: str | None, ident: str) -> bool:
        """True when a `name:` or `id:` prefix filter matches."""
        for s in self.selectors:
            if s.field == "name" and name is not None and name.startswith(s.value):
                return True
            if s.field == "id" and ident.lower().startswith(s.value.lower()):
                return True
        return False

    def values(self, field: str) -> list[str]:
        """The values of every filter on `field`."""
        return [s.value for s in self.selectors if s.field == field]

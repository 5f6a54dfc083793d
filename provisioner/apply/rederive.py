"""A saved plan checked against a plan re-derived from the configuration and the live state.

A plan file may be edited and its checksum recomputed, so apply trusts none of its safety
fields: it plans again and every change of the file must be one the fresh plan makes, with the
same action, server id, precondition and desired attributes, and the same safety decisions
(data-destructive, protected, prevent_destroy, adopt, the unmanaged object it would duplicate,
the unmanaged objects a delete takes along). Any difference refuses the plan before a write.
The fresh plan may hold more changes than the file (a plan made with `--target`).
"""

from __future__ import annotations

from collections.abc import Callable

from provisioner.apply.safety import Violation
from provisioner.model import Change
from provisioner.plan.builder import Plan

_SHOWN = 20
_COMPARED: tuple[tuple[str, Callable[[Change], object]], ...] = (
    ("action", lambda c: c.action.value),
    ("kind", lambda c: c.kind),
    ("server_id", lambda c: c.server_id),
    ("precondition", lambda c: c.precondition),
    ("after", lambda c: c.after),
    ("adopt", lambda c: c.adopt),
    ("data_destructive", lambda c: c.data_destructive),
    ("protected", lambda c: c.protected),
    ("prevent_destroy", lambda c: c.prevent_destroy),
    ("duplicate_of", lambda c: c.duplicate_of),
    ("unmanaged_children", lambda c: sorted(c.unmanaged_children)),
)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def disagreements(saved: Plan, fresh: Plan) -> list[Violation]:
    """One violation listing every change of `saved` that `fresh` does not make exactly so."""
    planned = {c.address: c for c in fresh.changes}
    found: list[tuple[str, str]] = []
    for change in saved.changes:
        again = planned.get(change.address)
        if again is None:
            found.append((change.address, "the configuration and the live state call for no such change"))
            continue
        for name, read in _COMPARED:
            if read(change) != read(again):
                found.append((change.address, f"{name} is {_short(read(change))} in the file, "
                                              f"{_short(read(again))} when planned again"))
    if not found:
        return []
    lines = [f"the plan file disagrees with the configuration and the live state at {len(found)} point(s) "
             "(edited by hand, or made from another configuration); run plan again:"]
    lines += [f"      {address}: {why}" for address, why in found[:_SHOWN]]
    if len(found) > _SHOWN:
        lines.append(f"      and {len(found) - _SHOWN} more")
    return [Violation(rule="plan-disagrees", message="\n".join(lines),
                      addresses=tuple(dict.fromkeys(a for a, _ in found)), override=None)]

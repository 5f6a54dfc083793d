"""Field-level differences between two normalized attribute maps (pure, no I/O).

Lists are compared in order: a provider has already turned lists whose order carries no meaning
into maps or sorted lists. Numbers compare by value (`1 == 1.0`), but a bool never equals a number.
Each changed leaf, added key and removed key yields exactly one `FieldChange`; an added or removed
key carries the whole subtree on one side and `None` on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from provisioner.model import FieldChange
from provisioner.model.compare import certainly_same, note_unchanged_steps, same_attrs
from provisioner.model.resource import JSON

# `certainly_same`/`same_attrs` (the fast check) and `note_unchanged_steps` live in the model, where
# providers may use them too; they stay importable from here
__all__ = ["certainly_same", "deep_diff", "diff_attrs", "note_unchanged_steps", "path_key", "same_attrs"]

_REPORTS = (
    "values_changed",
    "type_changes",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _side(value: Any) -> JSON:
    return None if value is notpresent else value


def path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for dotted paths: list indices numerically (`m.2` before `m.10`)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in path.split("."))


def diff_attrs(before: Mapping[str, JSON], after: Mapping[str, JSON]) -> tuple[FieldChange, ...]:
    """Every field that differs between `before` and `after`, dotted paths, sorted by path."""
    if certainly_same(before, after):
        return ()  # the converged case: DeepDiff costs ~2 ms per object, this a few µs
    return deep_diff(before, after)


def deep_diff(before: Mapping[str, JSON], after: Mapping[str, JSON]) -> tuple[FieldChange, ...]:
    """`diff_attrs` without the fast check: DeepDiff on every pair."""
    tree = DeepDiff(
        dict(before),
        dict(after),
        ignore_order=False,
        verbose_level=2,
        threshold_to_diff_deeper=0,
        view="tree",
    )
    changes: list[FieldChange] = []
    for report in _REPORTS:
        for level in tree.get(report, ()):
            old, new = _side(level.t1), _side(level.t2)
            if report == "type_changes" and _is_number(old) and _is_number(new) and old == new:
                continue
            path = ".".join(str(p) for p in level.path(output_format="list"))
            changes.append(FieldChange(path=path, before=old, after=new))
    changes.sort(key=lambda c: path_key(c.path))
    return tuple(changes)

"""Field-level differences between two normalized attribute maps (pure, no I/O).

Lists are compared in order: a provider has already turned lists whose order carries no meaning
into maps or sorted lists. Numbers compare by value (`1 == 1.0`), but a bool never equals a number.
Each changed leaf, added key and removed key yields exactly one `FieldChange`; an added or removed
key carries the whole subtree on one side and `None` on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from provisioner.model import FieldChange, LiveState, Resource
from provisioner.model.resource import JSON

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


def same_attrs(a: object, b: object) -> bool:
    """True when `a` and `b` certainly have no field difference (a fast check before DeepDiff).

    Conservative: same types all the way down (an int and a float of equal value count as the same),
    equal leaves. Anything it is unsure of (other types, NaN) is False, and DeepDiff decides.
    """
    ta, tb = type(a), type(b)
    if ta is not tb:
        return (ta is int or ta is float) and (tb is int or tb is float) and a == b
    if ta is dict:
        assert isinstance(a, dict) and isinstance(b, dict)
        return a.keys() == b.keys() and all(same_attrs(v, b[k]) for k, v in a.items())
    if ta is list or ta is tuple:
        assert isinstance(a, list | tuple) and isinstance(b, list | tuple)
        return len(a) == len(b) and all(same_attrs(x, y) for x, y in zip(a, b, strict=True))
    if ta in (str, int, float, bool) or a is None:
        return bool(a == b)
    return False


_SORTED = orjson.OPT_SORT_KEYS


def certainly_same(a: object, b: object) -> bool:
    """True when `a` and `b` certainly have no field difference: equal, and equal as canonical JSON
    (orjson, sorted keys: tells `True` from `1` and `1` from `1.0`, in C), else `same_attrs`."""
    try:
        if a == b and orjson.dumps(a, option=_SORTED) == orjson.dumps(b, option=_SORTED):
            return True
    except TypeError:  # not JSON (e.g. integers beyond 64 bits): the walk decides
        pass
    return same_attrs(a, b)


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


def note_unchanged_steps(state: LiveState, wanted: Mapping[str, Resource],
                         addresses: Iterable[str]) -> Iterator[None]:
    """Record in `state.unchanged` each of those live objects that certainly equals its desired
    counterpart (an adopted one never does: it needs its marker), one step per address. A provider
    runs this while its other reads are in flight, so that the plan need not compare them after the
    last read; the plan trusts a note only for the very attrs objects it names."""
    for address in addresses:
        live, want = state.managed.get(address), wanted.get(address)
        if live is None or want is None or live.adopt:
            pass
        elif certainly_same(live.attrs, want.attrs):
            state.unchanged[address] = (live.attrs, want.attrs)
        yield

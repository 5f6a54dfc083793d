"""When two normalized attribute maps certainly have no field difference (a fast, conservative check).

The planner diffs with DeepDiff only the pairs this check cannot clear; a provider may note the
pairs it already found equal while its other reads are in flight (`note_unchanged_steps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import orjson

from provisioner.model.resource import LiveState, Resource


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

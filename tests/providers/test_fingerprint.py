"""Preconditions of objects without an etag: a hash of canonical JSON."""

from __future__ import annotations

from provisioner.providers.fingerprint import fingerprint


def test_key_order_does_not_matter_but_every_value_does() -> None:
    base = fingerprint({"a": 1, "b": {"x": [1, 2], "y": None}})
    assert base.startswith("sha256:") and len(base) == len("sha256:") + 32
    assert fingerprint({"b": {"y": None, "x": [1, 2]}, "a": 1}) == base
    for changed in ({"a": 2, "b": {"x": [1, 2], "y": None}}, {"a": 1, "b": {"x": [2, 1], "y": None}},
                    {"a": True, "b": {"x": [1, 2], "y": None}}, {"a": 1.5, "b": {"x": [1, 2], "y": None}},
                    {"a": 1, "b": {"x": [1, 2], "y": ""}}):
        assert fingerprint(changed) != base


def test_values_beyond_orjson_are_hashed_exactly() -> None:
    huge = 2**70
    assert fingerprint({"n": huge}) == fingerprint({"n": huge})
    assert fingerprint({"n": huge}) != fingerprint({"n": huge + 1})
    assert fingerprint({1: "non-string key"}) != fingerprint({2: "non-string key"})

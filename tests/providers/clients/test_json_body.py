"""Response bodies parse exactly as the stdlib parses them, whichever parser does the work."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.providers.http.json_body import parse_json

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=4), inner,
                                                                          max_size=4)), max_leaves=12)


def _typed(value: Any) -> Any:
    """The value with each leaf's type beside it (1 and 1.0 and True are told apart)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_parses_as_the_stdlib_parses_it(doc: Any) -> None:
    body = json.dumps(doc).encode()
    assert _typed(parse_json(body)) == _typed(json.loads(body))


@pytest.mark.parametrize("number", [2**64 + 1, -(2**64) - 1, -(2**63) - 1, 2**64 - 1, -(2**63), 10**18])
def test_integers_at_and_beyond_64_bits_stay_exact(number: int) -> None:
    parsed = parse_json(f'{{"n": {number}, "m": [{number}]}}'.encode())
    assert parsed == {"n": number, "m": [number]} and isinstance(parsed["n"], int)


def test_what_only_the_stdlib_accepts_is_still_accepted() -> None:
    assert parse_json(b'{"x": NaN}')["x"] != parse_json(b'{"x": NaN}')["x"]  # NaN, as before
    assert parse_json('{"a": "é"}'.encode("utf-16")) == {"a": "é"}
    assert parse_json(b'"\\ud800"') == "\ud800"


def test_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_json(b"<html>busy</html>")
    with pytest.raises(ValueError):
        parse_json(b"\xff\xfe\xfa")

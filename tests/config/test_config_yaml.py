"""The fast YAML parser agrees with ruamel.yaml; duplicates are errors; the emitter round-trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.config.emit import emit_yaml
from provisioner.config.fastyaml import Unsupported, parse_fast
from provisioner.config.locations import SourceMap
from provisioner.config.yamlsource import parse_ruamel, parse_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMAP = SourceMap("f.yaml")


def _both(text: str) -> tuple[Any, Any]:
    fast = parse_fast(text, SMAP)
    slow = parse_ruamel(text, SMAP)
    return fast, slow


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.rglob("*.yaml")), ids=lambda p: p.name)
def test_parser_matches_ruamel_on_examples(path: Path) -> None:
    text = path.read_text()
    fast, slow = parse_yaml(text, SMAP), parse_ruamel(text, SMAP)
    assert fast.data == slow.data
    assert {k: v[1:] for k, v in fast.keys.items()} == {k: v[1:] for k, v in slow.keys.items()}


SNIPPETS = [
    "a: 1\nb: -2.5\nc: 0x1F\nd: 012\ne: 1_000\nf: .inf\ng: true\nh: ~\ni: 2024-01-01\nj: NO\n",
    'q: "a \\"b\\" \\u00e9\\n"\nr: \'it\'\'s\'\ns: "%"\n',
    "l:\n- a: 1\n  b: [x, {c: d}]\n- - n1\n  - n2\n-\n  k: v\n- {}\n- []\n",
    "m:\n  k1: v # comment\n  k2: 'x' # c\n  # whole line\n  k3: a#b\n",
    "seq_same_indent:\n- 1\n- 2\nafter: x\n",
    "flow: {a: 1, 'b': 2, \"c\": [1, 2, {d: e}], e: }\n",
    "url: http://x.example/y\nkv: a:b\n",
]


def test_rendered_fleet_is_in_the_fast_subset() -> None:
    from provisioner.config import load_project

    project = load_project(EXAMPLES / "fleet")
    for text in project.rendered.values():
        fast, slow = _both(text)
        assert fast.data == slow.data
        assert fast.keys.keys() == slow.keys.keys()


@pytest.mark.parametrize("text", SNIPPETS)
def test_fast_parser_matches_ruamel_on_snippets(text: str) -> None:
    fast, slow = _both(text)
    assert fast.data == slow.data
    assert {k: v[1:] for k, v in fast.keys.items()} == {k: v[1:] for k, v in slow.keys.items()}


@pytest.mark.parametrize(
    "text",
    [
        "a: |\n  x\n",
        "a: &x 1\nb: *x\n",
        "--- \na: 1\n",
        "a: b\n  c\n",
        "a: {b: 1,\n  c: 2}\n",
        "? a\n: b\n",
        "a:\tb\n",
        "a: !!str 1\n",
    ],
)
def test_fast_parser_defers_to_ruamel(text: str) -> None:
    with pytest.raises(Unsupported):
        parse_fast(text, SMAP)
    parse_yaml(text, SMAP)  # ruamel handles it (or reports an issue)


@pytest.mark.parametrize(
    "text", ["a: 1\nb: 2\na: 3\n", "a: {x: 1, x: 2}\n", "a:\n  - {k: 1}\n  - {k: 1, k: 2}\n"]
)
def test_duplicate_keys_name_both_places(text: str) -> None:
    for doc in _both(text):
        assert len(doc.issues) == 1
        assert "duplicate key" in doc.issues[0].message
        assert "first defined at f.yaml:" in doc.issues[0].message


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
keys = st.one_of(st.text(min_size=1, max_size=10), st.integers(0, 99))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, documents, min_size=1, max_size=5))
def test_emitted_yaml_parses_back_identically_with_both_parsers(data: dict[Any, Any]) -> None:
    text = emit_yaml(data)
    slow = parse_ruamel(text, SMAP)
    assert slow.issues == []
    assert slow.data == data
    try:
        fast = parse_fast(text, SMAP)
    except Unsupported:
        return
    assert fast.data == data

"""Whatever the input, load_project succeeds or raises ConfigError: never another exception."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.config import load_project
from provisioner.config.emit import emit_yaml
from provisioner.config.fastyaml import Unsupported, parse_fast
from provisioner.config.locations import SourceMap
from provisioner.config.yamlsource import parse_ruamel
from provisioner.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = load_project(EXAMPLES / "quickstart").document
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

yaml_alphabet = st.sampled_from(
    [*"ab:- \n{}[],'\"#&*!|>%@`?~.0123456789xyz\t", "${env:X}", "{{ v }}", "{% for %}", "\u2028"]
)
yaml_text = st.lists(yaml_alphabet, max_size=60).map("".join)


def _load(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        try:
            load_project(root)
        except ConfigError as exc:
            assert exc.issues
            assert exc.exit_code == 1


@FUZZ
@given(yaml_text)
def test_arbitrary_yaml_text(text: str) -> None:
    _load({"provision.yaml": emit_yaml(BASE), "extra.yaml": text})
    _load({"provision.yaml": text})


@FUZZ
@given(yaml_text)
def test_arbitrary_template_text(text: str) -> None:
    _load({"provision.yaml": emit_yaml(BASE), "extra.yaml.j2": text})


@FUZZ
@given(yaml_text)
def test_fast_parser_agrees_with_ruamel_on_arbitrary_text(text: str) -> None:
    smap = SourceMap("f.yaml")
    slow = parse_ruamel(text, smap)
    try:
        fast = parse_fast(text, smap)
    except Unsupported:
        return
    assert fast.data == slow.data
    assert [i.message for i in fast.issues] == [i.message for i in slow.issues]


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _mutate(doc: Any, seed: int, value: Any, how: int) -> Any:
    rng = random.Random(seed)
    path = rng.choice(_paths(doc))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == 0:
        parent[last] = value
    elif how == 1 and isinstance(parent, dict):
        del parent[last]
    elif how == 2 and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    else:
        parent[last] = [parent[last], value]
    return doc


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10**6), values, st.integers(0, 3)), min_size=1, max_size=4))
def test_mutated_valid_config(mutations: list[tuple[int, Any, int]]) -> None:
    doc = emit_yaml(BASE)
    data = parse_ruamel(doc, SourceMap("x")).data
    for seed, value, how in mutations:
        data = _mutate(data, seed, value, how)
    _load({"provision.yaml": emit_yaml(data)})

"""Hypothesis over hostile configuration and template fragments: load_project ends in success or a
ConfigError (exit 1) — never another exception — within a few seconds and bounded memory."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.config import load_project
from provisioner.config.template_limits import RenderBudget
from provisioner.errors import ConfigError

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
BASE = {p.name: p.read_text() for p in QUICKSTART.glob("*.yaml")}
FUZZ = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS = 10.0  # CPU seconds per example (typically < 1)
PEAK_BYTES = 256 * 1024 * 1024

sizes = st.sampled_from([0, 1, 7, 64, 65, 101, 5000, 100_000, 10**6, 10**9, 300_000_000])
anchors = st.builds(lambda w, d: "l0: &l0 [" + ", ".join(["x"] * w) + "]\n" + "".join(
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * w) + "]\n" for i in range(1, d)),
    st.integers(1, 12), st.integers(1, 12))
nesting = st.builds(lambda n, flow: ("x: " + "[" * n + "]" * n) if flow else
                    ("x:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(n))),
                    st.integers(1, 400), st.booleans())
integers = st.builds(lambda n, p: f"x: {p}{'9' * n}\n", st.integers(1, 6000),
                     st.sampled_from(["", "-", "0x", "0o"]))
escapes = st.builds(lambda c: f'x: "a\\u{c:04x}b"\n', st.integers(0, 0xFFFF))
jinja_templates = st.sampled_from([
    "x: {{{{ 'x' * {n} }}}}", "x: {{{{ [0] * {n} }}}}", "x: {{{{ range({n}) | length }}}}",
    "x: {{{{ 'y' | center({n}) }}}}", "x: {{{{ '%{n}s' % 'a' }}}}", "x: {{{{ {n} ** {n} }}}}",
    "x: {{{{ lipsum({n}) }}}}", "{{% for i in range({n}) %}}{{{{ 'ab' * 100 }}}}{{% endfor %}}",
    "{{% for i in range({n}) %}}{{% for j in range({n}) %}}{{% endfor %}}{{% endfor %}}x: 1",
    "{{% set ns = namespace(s='ab') %}}{{% for i in range({n} % 64) %}}{{% set ns.s = ns.s ~ ns.s %}}"
    "{{% endfor %}}",
    "{{% macro m(n) %}}{{{{ m(n + 1) }}}}{{% endmacro %}}{{{{ m({n}) }}}}", "{{% include 'extra.yaml.j2' %}}",
    "x: {{{{ ''.__class__.__mro__ }}}}", "x: {{{{ ('x' * 100) | replace('x', 'y' * {n}) }}}}",
    "x: {{{{ (['ab' * 100] * 1000) | join(' ' * {n}) }}}}", "x: {{{{ '{{:{n}}}'.format(1) }}}}",
])
templates = st.builds(lambda t, n: t.format(n=n), jinja_templates, sizes)
ports = st.builds(lambda p: BASE["provision.yaml"].replace("8700", str(p), 1), st.integers(-5, 200_000))


def _load(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).write_bytes(text.encode("utf-8", "surrogatepass"))
        started = time.thread_time()  # this thread's CPU seconds: stable on a loaded machine, and
        # blind to other threads of the test process
        tracemalloc.start()
        try:
            load_project(root)
        except ConfigError as exc:
            assert exc.issues and exc.exit_code == 1
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert time.thread_time() - started < SECONDS
        assert peak < PEAK_BYTES


@pytest.fixture(autouse=True)
def _short_render_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RenderBudget, "seconds", 1.0)


@FUZZ
@given(st.one_of(anchors, nesting, integers, escapes))
def test_hostile_yaml_is_a_clear_error_or_loads(text: str) -> None:
    _load({**BASE, "extra.yaml": text})


@FUZZ
@given(templates)
def test_hostile_templates_are_bounded(text: str) -> None:
    _load({**BASE, "extra.yaml.j2": text + "\n"})


@FUZZ
@given(ports)
def test_any_gateway_port_is_validated(text: str) -> None:
    _load({**BASE, "provision.yaml": text})

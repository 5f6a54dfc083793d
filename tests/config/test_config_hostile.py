"""Hostile configuration input: each case is a clear ConfigError naming the file, never a crash,
a hang or unbounded memory (alias bombs, deep nesting, huge ints, Jinja expansion, bad ports,
lone surrogates, oversized CSV)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from provisioner.config import limits as config_limits
from provisioner.config import load_project
from provisioner.config.template_limits import RenderBudget
from provisioner.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = (EXAMPLES / "quickstart" / "provision.yaml").read_text()
ASSET = ("insights_hub:\n  assets:\n    p:\n      name: {name}\n"
         "      type: core.basicsite\n      parent: root\n")


def _error(tmp_path: Path, files: dict[str, str], *, seconds: float = 10.0) -> str:
    """Load a project of `files` (plus the quickstart provision.yaml); the ConfigError text."""
    if "provision.yaml" not in files:
        files = {"provision.yaml": BASE, **files}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    started = time.thread_time()  # this thread's CPU seconds: stable on a loaded machine, and
    # blind to other threads of the test process
    with pytest.raises(ConfigError) as caught:
        load_project(tmp_path)
    assert time.thread_time() - started < seconds
    assert caught.value.exit_code == 1
    return str(caught.value)


def _bomb(levels: int) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_the_anchor_without_expanding(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml": _bomb(10)}, seconds=5)  # 10**10 nodes if expanded
    assert "extra.yaml:" in text and "alias expansion would add" in text
    assert f"limit is {config_limits.MAX_ALIAS_NODES}" in text


def test_recursive_alias_is_an_error(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml": "a: &a [x, *a]\n"})
    assert "extra.yaml:1:" in text and "recursive" in text


def test_too_many_aliases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provisioner.config.yamlsource.MAX_ALIASES", 5)
    text = _error(tmp_path, {"extra.yaml": "a: &a x\nb: [" + ", ".join(["*a"] * 6) + "]\n"})
    assert "extra.yaml:2:" in text and "more than 5 aliases" in text


@pytest.mark.parametrize("body", [
    "x: " + "[" * 100_000 + "]" * 100_000,                                 # flow
    "x:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(3000)),      # block mappings
    "x:\n" + "- " * 5000 + "a",                                             # block sequences
    "x: " + "{a: " * 2000 + "1" + "}" * 2000,                               # flow mappings
], ids=["flow", "block-mapping", "block-sequence", "flow-mapping"])
def test_deep_nesting_is_refused_with_its_line(tmp_path: Path, body: str) -> None:
    text = _error(tmp_path, {"extra.yaml": body + "\n"})
    assert f"nesting is deeper than {config_limits.MAX_DEPTH} levels" in text
    assert "extra.yaml:" in text


@pytest.mark.parametrize("body", ["x: " + "1" * 5000, "x: {a: " + "9" * 5000 + "}",
                                  "x: [0x" + "f" * 5000 + "]"])
def test_huge_integer_is_a_clear_error_not_value_error(tmp_path: Path, body: str) -> None:
    text = _error(tmp_path, {"extra.yaml": body + "\n"})
    assert "extra.yaml:1:" in text and "digits; the limit is 100" in text


def test_huge_integer_in_a_json_variables_file(tmp_path: Path) -> None:
    text = _error(tmp_path, {"vars/v.json": '{"n": ' + "7" * 5000 + "}", "t.yaml.j2": "{{ n }}\n"})
    assert "v.json" in text and "digits" in text


@pytest.mark.parametrize(("template", "expected"), [
    ("x: {{ 'x' * 300000000 }}", "repetition would be 300000000 long"),
    ("x: {{ [1] * 500000000 }}", "repetition would be 500000000 long"),
    ("x: {{ lipsum(1000000) }}", "'lipsum' is undefined"),
    ("x: {{ 'x' | center(500000000) }}", "size argument above"),
    ("x: {{ '%500000000d' % 1 }}", "format width"),
    ("x: {{ '{:500000000}'.format(1) }}", "format"),
    ("x: {{ range(10**9) | list }}", "size argument above"),
    ("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}x: 1", "value longer than"),
    ("x: {{ ('x' * 10000000) | replace('x', 'yyyyyyyyyy') }}", "replace would be"),
    ("{% for i in range(100000) %}{{ 'x' * 10000000 }}{% endfor %}", "renders to more than"),
], ids=["str-mult", "list-mult", "lipsum", "center", "percent-width", "format-width", "range", "doubling",
        "replace", "output-size"])
def test_jinja_expansion_is_bounded(tmp_path: Path, template: str, expected: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RenderBudget, "chars", 50_000_000)
    text = _error(tmp_path, {"extra.yaml.j2": template + "\n"})
    assert "extra.yaml.j2:1:" in text and expected in text


def test_jinja_float_overflow_constant_is_a_template_error(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml.j2": "x: {{ 1e999 * 2 }}\n"})  # jinja2 emits `inf` as a name
    assert "extra.yaml.j2:1:" in text and "template error" in text


def test_a_million_distinct_scalars_parse_in_seconds(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml.j2": "x: {{ range(1000000) | list }}\n"}, seconds=20)
    assert "unknown field 'x'" in text  # found by fuzz_hostile: 35 s in the resolver before


def test_jinja_render_time_is_bounded_even_without_output(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RenderBudget, "seconds", 0.5)
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    text = _error(tmp_path, {"extra.yaml.j2": loops}, seconds=5)
    assert "extra.yaml.j2:" in text and "rendering took longer than 0.5 s" in text


def test_jinja_cannot_mutate_lists(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml.j2": "{% set l = [] %}{{ l.append(1) }}\n"})
    assert "extra.yaml.j2:1:" in text and "unsafe" in text


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:0", '"https://exa mple.com"',
                                 "https://user:pw@example.com", '"https://ex\\0ample.com"'])
def test_bad_gateway_url_fails_validate(tmp_path: Path, url: str) -> None:
    text = _error(tmp_path, {"provision.yaml": BASE.replace("http://127.0.0.1:8700", url, 1)})
    assert "provision.yaml:" in text and "gateway" in text


def test_lone_surrogate_in_a_name_fails_validate(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml": ASSET.format(name='"pump\\ud800"')})
    assert "extra.yaml:4:" in text and "lone surrogate" in text


def test_lone_surrogate_in_a_key_fails_validate(tmp_path: Path) -> None:
    text = _error(tmp_path, {"extra.yaml": '"k\\udfff": 1\n'})
    assert "extra.yaml:1:" in text and "lone surrogate" in text


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_fail_validate(tmp_path: Path, value: str) -> None:
    body = ASSET.format(name="p") + f"      location: {{latitude: {value}}}\n"
    text = _error(tmp_path, {"extra.yaml": body})
    assert "extra.yaml:7:" in text and "finite number" in text


def test_oversized_files_are_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("provisioner.config.project.MAX_FILE_BYTES", 1000)
    monkeypatch.setattr("provisioner.config.variables.MAX_CSV_BYTES", 1000)
    text = _error(tmp_path, {"extra.yaml": "# " + "x" * 2000 + "\n", "vars/sites.csv": "a\n" + "1\n" * 1000})
    assert "extra.yaml:1:1: file is larger than the limit of 1000 bytes" in text
    assert "sites.csv:1:1: file is larger than the limit of 1000 bytes" in text


def test_oversized_csv_field(tmp_path: Path) -> None:
    text = _error(tmp_path, {"vars/sites.csv": "a\n" + "x" * 70_000 + "\n"})
    assert "sites.csv:2:1" in text and "CSV field is longer" in text


def test_a_large_file_the_fast_reader_refuses_gets_a_bounded_full_read_and_a_located_error(
        tmp_path: Path) -> None:
    # found by fuzz_hostile (seed 16, case 1071): three one-line lists of a million values with a
    # syntax error; the full YAML reader took 232 s before it had a time limit
    template = "".join(f"{key}: {{{{ range(1000000) | list }}}}\n" for key in ("xy,", "xy", " xy"))
    text = _error(tmp_path, {"extra.yaml.j2": template}, seconds=25)
    assert "extra.yaml.j2:1:1:" in text and "the full YAML reader gave up" in text
    assert f"after {config_limits.MAX_FULL_YAML_SECONDS:g} s" in text


def test_the_fast_reader_says_where_it_stopped(tmp_path: Path) -> None:
    body = "".join(f"k{i}: {i}\n" for i in range(200_000)) + "tagged: !custom 1\n"  # 200,001 lines
    text = _error(tmp_path, {"extra.yaml": body}, seconds=25)
    # the bounded full read gives up at the fast reader's line; a machine fast enough to finish the
    # full read in time reports the tag on the same line
    assert "extra.yaml:200001:" in text, text

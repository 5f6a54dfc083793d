"""`provision fmt`: every example is canonical, a mis-formatted copy fails --check, comments stay."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli.main import cli
from provisioner.config import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fmt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["fmt", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_every_example_is_in_the_canonical_layout(example: str) -> None:
    code, out = fmt("--check", str(EXAMPLES / example))
    assert (code, out) == (0, "")


def test_check_fails_on_a_misformatted_copy_and_names_the_file(tmp_path: Path) -> None:
    project = shutil.copytree(EXAMPLES / "quickstart", tmp_path / "quickstart")
    target = project / "insights-hub.yaml"
    text = target.read_text()
    messy = text.replace("      category: dynamic", "      category:     dynamic").replace(
        "{type: DOUBLE, unit: Hz}", "{ type: DOUBLE,unit: Hz }")
    assert messy != text
    target.write_text(messy)
    code, out = fmt("--check", str(project))
    assert code == 1
    assert f"would reformat {target}" in out
    assert target.read_text() == messy  # --check changes nothing


def test_fmt_rewrites_keeps_comments_and_meaning(tmp_path: Path) -> None:
    project = shutil.copytree(EXAMPLES / "quickstart", tmp_path / "quickstart")
    target = project / "insights-hub.yaml"
    original = target.read_text()
    target.write_text(original.replace("        Pressure: {type: DOUBLE, unit: kPa}",
                                       "        Pressure:     {type: DOUBLE,   unit: kPa}   # in kilopascal"))
    before = load_project(project).config
    code, out = fmt(str(project))
    assert code == 0 and f"reformatted {target}" in out
    formatted = target.read_text()
    assert re.search(r"\n        Pressure: \{type: DOUBLE, unit: kPa\} +# in kilopascal\n", formatted)
    original_comments = [line.split("#", 1)[1] for line in original.splitlines() if "#" in line]
    assert all(comment in formatted for comment in original_comments)
    assert load_project(project).config == before
    assert fmt("--check", str(project)) == (0, "")  # idempotent


def test_a_syntax_error_is_reported_with_its_place_and_templates_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    (tmp_path / "t.yaml.j2").write_text("{% for x in xs %}\nk{{ x }}:    1\n{% endfor %}\n")
    proc = subprocess.run([sys.executable, "-m", "provisioner", "fmt", "--check", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:2:1:" in proc.stderr and "YAML syntax error" in proc.stderr
    assert "t.yaml.j2" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr

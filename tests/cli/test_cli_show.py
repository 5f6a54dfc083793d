"""`provision show PLANFILE`: a saved plan rendered offline, exactly as `plan` renders it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_fakes import mixed_plan

from provisioner.cli.main import main
from provisioner.plan import write_plan
from provisioner.render import render_json, render_markdown, render_text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["show", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def planfile(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    write_plan(mixed_plan(), path, config_digest="sha256:x", stack="plant")
    return path


def test_show_renders_a_saved_plan_in_each_format(capsys: pytest.CaptureFixture[str], planfile: Path) -> None:
    plan = mixed_plan()
    code, out, err = run(capsys, str(planfile))
    assert (code, out) == (0, render_text(plan))
    assert err.startswith("Plan of stack 'plant', made ")
    assert run(capsys, str(planfile), "--format", "markdown")[:2] == (0, render_markdown(plan))
    code, out, _ = run(capsys, str(planfile), "--format", "json")
    assert (code, out) == (0, render_json(plan))
    assert json.loads(out)["summary"]["replace"] == 2


def test_show_refuses_a_tampered_or_missing_file(capsys: pytest.CaptureFixture[str], planfile: Path) -> None:
    planfile.write_text(planfile.read_text().replace('"old"', '"evil"'))
    code, out, err = run(capsys, str(planfile))
    assert (code, out) == (1, "")
    assert "was modified after it was written" in err and "Traceback" not in err
    code, _, err = run(capsys, str(planfile.with_name("nope.json")))
    assert code == 1 and "does not exist" in err

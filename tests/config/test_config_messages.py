"""Messages that teach: a suggestion for a typo (and no follow-on errors), YAML syntax errors in
words with the line and a caret, every missing environment variable named in one run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.config.validate import did_you_mean

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RunCli = Callable[..., tuple[int, str, str]]


def quickstart(tmp_path: Path, old: str, new: str, file: str = "insights-hub.yaml") -> Path:
    project = shutil.copytree(EXAMPLES / "quickstart", tmp_path / "quickstart")
    text = (project / file).read_text()
    assert old in text
    (project / file).write_text(text.replace(old, new, 1))
    return project


def test_a_typo_in_a_reference_is_one_error_with_the_suggestion(tmp_path: Path, run_cli: RunCli,
                                                                 where: Callable[..., str]) -> None:
    project = quickstart(tmp_path, "type: Engine", "type: Engin")
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert err.startswith("Error: 1 configuration error:\n")
    location = where(project / "insights-hub.yaml", "type: Engin", 6)
    assert (f"{location}: insights_hub.assets.acme-motor: unknown asset type 'Engin'; did you mean "
            "'Engine'? (5 mappings to this asset are not checked until it is fixed)") in err
    assert "has no aspects" not in err  # the follow-on errors of the five mappings are not shown


@pytest.mark.parametrize(("old", "new", "message"), [
    ("parent: plant\n      external_id", "parent: plnt\n      external_id",
     "unknown asset 'plnt' (parent); did you mean 'plant'?"),
    ("environment: Environment", "environment: Enviroment", "unknown aspect type 'Enviroment'; did you mean "
                                                             "'Environment'?"),
    ("asset: acme-motor, aspect: vibration, variable: Frequency",
     "asset: acme-motor, aspect: vibration, variable: Frequncy",
     "has no variable 'Frequncy'; did you mean 'Frequency'?"),
    ("{data_point: DP-Frequency,", "{data_point: DP-Frequenzy,", "did you mean 'DP-Frequency' or"),
])
def test_references_suggest_the_closest_declared_names(tmp_path: Path, run_cli: RunCli, old: str, new: str,
                                                       message: str) -> None:
    code, _, err = run_cli("validate", str(quickstart(tmp_path, old, new)))
    assert code == 1
    assert message in err
    assert err.startswith("Error: 1 configuration error:\n"), err


def test_did_you_mean_lists_few_names_when_none_is_close() -> None:
    assert did_you_mean("Engin", ["Engine", "Pump"]) == "; did you mean 'Engine'?"
    assert did_you_mean("zzz", ["Engine", "Pump"]) == " (declared: Engine, Pump)"
    assert did_you_mean("zzz", [f"T{i}" for i in range(20)]) == ""
    assert did_you_mean("x", []) == ""


def test_bad_indentation_is_explained_in_words_with_the_line_and_a_caret(tmp_path: Path,
                                                                         run_cli: RunCli) -> None:
    project = quickstart(tmp_path, "      type: core.basicsite\n", "     type: core.basicsite\n")
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    file = project / "insights-hub.yaml"
    number = file.read_text().splitlines().index("     type: core.basicsite") + 1
    assert (f"{file}:{number}:6: YAML syntax error: line {number} is indented 5 spaces, which lines up "
            "with no key above it (the open levels are 0, 2, 4, 6 spaces)") in err
    assert f"    {number} |      type: core.basicsite\n" in err
    assert f"    {' ' * len(str(number))} |      ^\n" in err  # the caret under the line's first character
    assert "Traceback" not in err


def test_a_deeper_line_after_a_value_and_a_tab_are_explained(tmp_path: Path, run_cli: RunCli) -> None:
    project = quickstart(tmp_path, "      name: AcmeMotor\n", "     name: AcmeMotor\n")
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert "indented 6 spaces, deeper than line" in err and "which already has a value" in err
    project = shutil.copytree(project, tmp_path / "tabbed")
    (project / "insights-hub.yaml").write_text("insights_hub:\n\tassets: {}\n")
    code, _, err = run_cli("validate", str(project))
    assert "a tab is used for indentation here; YAML indents with spaces only" in err
    assert "insights-hub.yaml:2:1:" in err


def test_three_missing_variables_are_named_in_one_run(tmp_path: Path, run_cli: RunCli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MDSP_CLIENT_ID", "MDSP_CLIENT_SECRET", "ITWIN_IOT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    project = shutil.copytree(EXAMPLES / "quickstart", tmp_path / "quickstart")
    code, out, err = run_cli("plan", str(project))
    assert (code, out) == (1, "")
    assert err.startswith("Error: 3 configuration errors:\n")
    for name in ("MDSP_CLIENT_ID", "MDSP_CLIENT_SECRET", "ITWIN_IOT_API_KEY"):
        assert f"environment variable {name} is not set (referenced as ${{env:{name}}})" in err
    assert "Traceback" not in err


def test_a_misspelt_field_suggests_the_real_one_and_hides_its_missing_follow_on(
        tmp_path: Path, run_cli: RunCli) -> None:
    project = quickstart(tmp_path, "    tenant: sandbox", "    tenat: sandbox", "provision.yaml")
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert err.startswith("Error: 1 configuration error:\n"), err
    assert "platforms.insights_hub: unknown field 'tenat'; did you mean 'tenant'?" in err
    assert "missing required field" not in err


def test_a_syntax_error_in_a_template_names_the_template_line(tmp_path: Path, run_cli: RunCli) -> None:
    project = shutil.copytree(EXAMPLES / "fleet", tmp_path / "fleet")
    template = project / "fleet.yaml.j2"
    lines = template.read_text().split("\n")
    number = next(i for i, line in enumerate(lines, 1)
                  if line.startswith("      external_id: {{ site.key }}"))
    lines[number - 1] = lines[number - 1][1:]
    template.write_text("\n".join(lines))
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert f"fleet.yaml.j2:{number}:6: YAML syntax error: line {number} is indented 5 spaces" in err
    assert f"    {number} |      external_id: site-" in err  # the rendered line, numbered as in the template

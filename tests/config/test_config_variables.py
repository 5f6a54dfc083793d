"""Template variables: vars/ files (CSV rows as string dicts), precedence, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.config.variables import collect_variables, load_vars_dir, parse_cli_vars
from provisioner.errors import ConfigIssue


def test_csv_is_a_list_of_string_rows(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "sites.csv").write_text("key,lat\nhh,53.5\n,\nmuc,48.1\n")
    (tmp_path / "vars" / "more.json").write_text('{"region": "eu1", "count": 3}')
    issues: list[ConfigIssue] = []
    variables, _ = load_vars_dir(tmp_path, issues)
    assert issues == []
    assert variables == {
        "sites": [{"key": "hh", "lat": "53.5"}, {"key": "muc", "lat": "48.1"}],
        "region": "eu1",
        "count": 3,
    }


def test_variable_in_two_vars_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "a.yaml").write_text("region: eu1\n")
    (tmp_path / "vars" / "b.yml").write_text("region: eu2\n")
    issues: list[ConfigIssue] = []
    load_vars_dir(tmp_path, issues)
    assert len(issues) == 1
    assert "variable 'region' is defined twice" in str(issues[0])
    assert str(tmp_path / "vars" / "a.yaml") in str(issues[0])


def test_precedence_vars_dir_env_var_file_option(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "a.yaml").write_text("a: dir\nb: dir\nc: dir\nd: dir\n")
    var_file = tmp_path / "f.yaml"
    var_file.write_text("c: file\nd: file\n")
    issues: list[ConfigIssue] = []
    result = collect_variables(
        tmp_path, {"b": "env", "c": "env", "d": "env"}, None, [var_file], ["d=option"], issues
    )
    assert issues == []
    assert result == {"a": "dir", "b": "env", "c": "file", "d": "option"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key,name\nx\n", "row has 1 columns, the header has 2"),
        ("key,key\nx,y\n", "unique column names"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "sites.csv").write_text(text)
    issues: list[ConfigIssue] = []
    load_vars_dir(tmp_path, issues)
    assert message in str(issues[0])
    assert str(issues[0]).startswith(str(tmp_path / "vars" / "sites.csv") + ":")


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "v.json").write_text('{\n  "a": 1,\n  "b": }\n')
    issues: list[ConfigIssue] = []
    load_vars_dir(tmp_path, issues)
    assert str(issues[0]).startswith(f"{tmp_path / 'vars' / 'v.json'}:3:8: JSON syntax error")


def test_cli_vars() -> None:
    issues: list[ConfigIssue] = []
    assert parse_cli_vars(["a=1", "b=x=y", "c="], issues) == {"a": "1", "b": "x=y", "c": ""}
    assert issues == []
    parse_cli_vars(["1bad=x", "noequals"], issues)
    assert len(issues) == 2

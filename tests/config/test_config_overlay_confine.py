"""Issue 13, must-show 7 (part): an env overlay that is not a mapping is an error with its place, and
files reached through a symlink that leaves the project (`*.yaml`, `vars/`, `env/`) are refused
like templates are; a symlink that stays inside the project still works.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.config import load_project
from provisioner.errors import ConfigError

RunCli = Callable[..., tuple[int, str, str]]  # the `run_cli` fixture of tests/config/conftest.py

FIXTURE = Path(__file__).parent / "fixtures" / "good-minimal"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(FIXTURE, target)
    (target / "env").mkdir(exist_ok=True)
    return target


def issues_of(project: Path, env: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project(project, env=env)
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(("text", "found", "line"), [
    ("production\n", "text", 1),
    ("# the prod tenant\n- platforms\n- assets\n", "a list", 2),
    ("", "an empty file", 1),
    ("# nothing here yet\n", "an empty file", 1),
    ("42\n", "a single value", 1),
])
def test_an_overlay_that_is_not_a_mapping_is_an_error_at_its_place(project: Path, run_cli: RunCli,
                                                                   text: str, found: str, line: int) -> None:
    (project / "env" / "prod.yaml").write_text(text)
    [issue] = issues_of(project, env="prod")
    assert issue.startswith(f"{project / 'env' / 'prod.yaml'}:{line}:"), issue  # file:line:column
    assert f"an env overlay must be a mapping like `platforms: ...`, found {found}" in issue

    code, out, err = run_cli("validate", str(project), "--env", "prod")
    assert code == 1 and f"env/prod.yaml:{line}:" in err and "Traceback" not in err, out + err


def test_a_mapping_overlay_still_applies(project: Path) -> None:
    base = load_project(project)
    (project / "env" / "prod.yaml").write_text("stack: minimal-prod\n")
    assert base.config.stack != "minimal-prod"
    assert load_project(project, env="prod").config.stack == "minimal-prod"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A YAML file outside the project: what a pull request's symlink would pull in."""
    target = tmp_path / "elsewhere" / "secrets.yaml"
    target.parent.mkdir()
    target.write_text("insights_hub:\n  assets:\n    stolen: {type: Engine, name: from-outside}\n")
    return target


@pytest.mark.parametrize("link", ["extra.yaml", "sub/nested.yml", "vars/site.yaml", "env/prod.yaml"])
def test_a_symlink_leaving_the_project_is_refused(project: Path, outside: Path, run_cli: RunCli,
                                                  link: str) -> None:
    path = project / link
    path.parent.mkdir(exist_ok=True)
    path.symlink_to(outside)
    env = "prod" if link.startswith("env/") else None

    [issue] = issues_of(project, env=env)
    assert issue.endswith(f"{link}:1:1: refused: this is a symlink to a file outside the project "
                          "directory; project files (YAML, templates, vars/, env/) must live inside it"), \
        issue
    assert str(outside) not in issue  # the target is not echoed into logs or comments

    code, out, err = run_cli("validate", str(project), *(["--env", env] if env else []))
    assert code == 1 and "refused: this is a symlink" in err and "from-outside" not in out + err


def test_a_symlink_leaving_through_a_linked_vars_directory_is_refused(project: Path, outside: Path) -> None:
    shutil.rmtree(project / "vars", ignore_errors=True)
    (project / "vars").symlink_to(outside.parent, target_is_directory=True)
    [issue] = issues_of(project)
    assert "vars/secrets.yaml:1:1: refused: this is a symlink" in issue, issue


def test_a_symlink_inside_the_project_is_followed(project: Path) -> None:
    shared = project / "shared"
    shared.mkdir()
    (shared / "more.yaml").write_text("insights_hub:\n  assets: {}\n")
    (project / "linked.yaml").symlink_to(shared / "more.yaml")
    (project / "env" / "real-prod.yaml").write_text("stack: linked-prod\n")
    (project / "env" / "prod.yaml").symlink_to(project / "env" / "real-prod.yaml")
    assert load_project(project, env="prod").config.stack == "linked-prod"

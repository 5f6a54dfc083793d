"""Secrets: `${env:NAME}` only, resolved on request, never in any output or exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from provisioner.config import Secret, load_project, resolve_secrets
from provisioner.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).parent / "fixtures"
SECRET_VALUE = "s3cr3t-Value-8d1f2c"
SECRET_VARS = ("MDSP_CLIENT_ID", "MDSP_CLIENT_SECRET", "ITWIN_IOT_API_KEY")


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARS:
        monkeypatch.setenv(name, SECRET_VALUE + name)


def test_secret_never_shows_its_value(secrets_set: None) -> None:
    secret = Secret("MDSP_CLIENT_SECRET")
    assert str(secret) == repr(secret) == "***"
    assert f"{secret}" == "***"
    assert secret.reference == "${env:MDSP_CLIENT_SECRET}"
    assert secret.reveal() == SECRET_VALUE + "MDSP_CLIENT_SECRET"

    class Holder(BaseModel):
        s: Secret

    holder = Holder(s="${env:MDSP_CLIENT_SECRET}")  # type: ignore[arg-type]
    assert holder.model_dump(mode="json") == {"s": "***"}
    assert SECRET_VALUE not in holder.model_dump_json() + repr(holder) + str(holder)


def test_validate_and_render_work_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    project = load_project(EXAMPLES / "quickstart")
    with pytest.raises(ConfigError) as info:
        resolve_secrets(project)
    text = str(info.value)
    assert "environment variable MDSP_CLIENT_SECRET is not set" in text
    assert "examples/quickstart/provision.yaml:13:22" in text  # where ${env:MDSP_CLIENT_SECRET} is written
    ih = project.config.platforms.insights_hub
    assert ih is not None
    secret = ih.auth.client_secret
    with pytest.raises(ConfigError, match="MDSP_CLIENT_SECRET is not set"):
        secret.reveal()


def test_resolve_secrets_passes_when_set(secrets_set: None) -> None:
    project = load_project(EXAMPLES / "quickstart")
    resolve_secrets(project)
    itwin = project.config.platforms.itwin_iot
    assert itwin is not None
    assert isinstance(itwin.auth.api_key, Secret)  # type: ignore[union-attr]
    assert itwin.auth.api_key.reveal() == SECRET_VALUE + "ITWIN_IOT_API_KEY"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "args",
    [
        ("validate", str(EXAMPLES / "quickstart")),
        ("render", str(EXAMPLES / "quickstart")),
        ("render", str(EXAMPLES / "environments"), "--env", "prod"),
        ("validate", str(FIXTURES / "bad-many-errors")),
        ("validate", str(FIXTURES / "bad-literal-secret")),
        ("schema",),
    ],
)
def test_no_secret_value_in_any_output(
    secrets_set: None, run_cli: Callable[..., tuple[int, str, str]], args: tuple[str, ...]
) -> None:
    _, out, err = run_cli(*args)
    assert out or err
    assert SECRET_VALUE not in out + err


def test_no_secret_value_in_project_or_exceptions(secrets_set: None) -> None:
    project = load_project(EXAMPLES / "quickstart")
    dumped = project.config.model_dump_json() + repr(project) + project.render_yaml()
    dumped += json.dumps(project.document)
    assert SECRET_VALUE not in dumped
    assert "${env:MDSP_CLIENT_SECRET}" in project.render_yaml()
    with pytest.raises(ConfigError) as info:
        load_project(FIXTURES / "bad-many-errors")
    assert SECRET_VALUE not in str(info.value) + repr(info.value.issues)


def test_env_reference_outside_auth_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "provision.yaml").write_text((FIXTURES / "good-minimal" / "provision.yaml").read_text())
    (tmp_path / "a.yaml").write_text(
        "insights_hub:\n  assets:\n    s: {name: '${env:HOME}', type: core.basicsite}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert f"{tmp_path}/a.yaml:3:15: insights_hub.assets.s: ${{env:...}} references are only" in str(
        info.value
    )

"""Known secret values never leave the HTTP layer: not in any plan format, the plan file, the
journal, the apply report, CLI output, nor DEBUG logs of any logger (the request/response logs
included), neither raw nor as the base64 `Basic` form of the client credentials.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from pathlib import Path

import pytest
from harness import LiveSandbox, copy_example, free_port

from provisioner.cli.main import main
from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import read_plan, write_plan
from provisioner.render import (
    render_json,
    render_markdown,
    render_report_json,
    render_report_text,
    render_text,
)
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import config_digest, make_plan, open_session

CLIENT_ID = "sandbox-client"


class Secrets:
    """Fresh, unique credentials for one test, and every form in which they must not appear."""

    def __init__(self) -> None:
        self.client_secret = f"IhSecret{secrets.token_hex(12)}"
        self.api_key = f"ItwinKey{secrets.token_hex(12)}"
        basic = base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
        self.forms = (self.client_secret, self.api_key, basic)

    def settings(self, port: int = 8700) -> SandboxSettings:
        return SandboxSettings(client_secret=self.client_secret, itwin_api_key=self.api_key,
                               boarding_delay_s=0.0, port=port)

    def setenv(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MDSP_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("MDSP_CLIENT_SECRET", self.client_secret)
        monkeypatch.setenv("ITWIN_IOT_API_KEY", self.api_key)

    def assert_absent(self, where: str, text: str) -> None:
        for form in self.forms:
            assert form not in text, f"a secret appears in {where}"


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record, formatted with its arguments, plus exception text."""
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


async def test_plan_outputs_plan_file_apply_and_debug_logs_hold_no_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    known = Secrets()
    known.setenv(monkeypatch)
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(known.settings())
    project_dir = copy_example("quickstart", tmp_path)
    project = load_project(project_dir)
    journal = tmp_path / "journal"

    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert len(plan.changes) == 17  # the credentials were accepted: everything was read
        for name, text in (("text", render_text(plan)), ("markdown", render_markdown(plan)),
                           ("json", render_json(plan))):
            known.assert_absent(f"the {name} plan", text)
        planfile = tmp_path / "plan.json"
        write_plan(plan, planfile, config_digest=config_digest(project.config), stack=project.config.stack)
        known.assert_absent("the plan file", planfile.read_text())
        report = await apply_plan(session, read_plan(planfile).plan, ApplyOptions(journal_dir=journal),
                                  live=live)
        assert report.ok, report.failed
        known.assert_absent("the text report", render_report_text(report))
        known.assert_absent("the JSON report", render_report_json(report))
        again, _ = await make_plan(session)
        assert again.changes == ()

    journal_text = "\n".join(p.read_text() for p in journal.rglob("*") if p.is_file())
    assert journal_text  # the journal was written
    known.assert_absent("the journal", journal_text)
    http = [r for r in caplog.records if r.name == "provisioner.http" and r.levelno == logging.DEBUG]
    assert len(http) > 40  # requests and responses were logged at DEBUG, headers and bodies
    assert any("grant_type=client_credentials" in r.getMessage() for r in http)
    text = logged(caplog)
    known.assert_absent("the DEBUG logs", text)
    assert "eyJ" not in text  # nor the bearer tokens (JWTs) the credentials were exchanged for


async def test_rejected_credentials_do_not_echo_the_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    known = Secrets()
    known.setenv(monkeypatch)
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(Secrets().settings())  # another tenant's secrets: ours are refused
    project = load_project(copy_example("quickstart", tmp_path))
    with pytest.raises(Exception) as failure:
        async with open_session(project.config, transport=sandbox.transport()) as session:
            await make_plan(session)
    known.assert_absent("the error", f"{failure.value!r} {failure.value}")
    known.assert_absent("the DEBUG logs", logged(caplog))


def test_cli_plan_and_apply_output_hold_no_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    known = Secrets()
    known.setenv(monkeypatch)
    caplog.set_level(logging.DEBUG)
    with LiveSandbox(known.settings(port=free_port())) as live:
        project = str(copy_example("quickstart", tmp_path, port=live.port))
        planfile = tmp_path / "plan.json"
        outputs = []
        for args in (["plan", project, "--env", "test", "--format", "text"],
                     ["plan", project, "--env", "test", "--format", "markdown"],
                     ["plan", project, "--env", "test", "--format", "json", "--out", str(planfile)],
                     ["apply", str(planfile), "--project", project, "--env", "test", "--yes",
                      "--format", "json"]):
            try:
                main(args)
            except SystemExit as exit_:
                assert exit_.code in (0, None), (args, capsys.readouterr())
            outputs.append(capsys.readouterr())
    assert json.loads(outputs[3].out)  # the apply ran and reported as JSON
    for captured in outputs:
        known.assert_absent("CLI output", captured.out + captured.err)
    known.assert_absent("the plan file", planfile.read_text())
    known.assert_absent("the DEBUG logs", logged(caplog))

"""End-to-end harness: example copies, a free loopback port, and the sandbox served by uvicorn."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import uvicorn

from provisioner.config import Project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import Plan
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# The sandbox's documented demo credentials (not secrets).
DEMO_ENV = {"MDSP_CLIENT_ID": "sandbox-client", "MDSP_CLIENT_SECRET": "sandbox-secret",
            "ITWIN_IOT_API_KEY": "sandbox-key"}


def copy_example(name: str, dest: Path, *, port: int | None = None) -> Path:
    """Copy an example project; with `port`, point both platforms at a sandbox on that port."""
    target = dest / name
    shutil.copytree(EXAMPLES / name, target)
    if port is not None:
        overlay = target / "env" / "test.yaml"
        overlay.parent.mkdir(exist_ok=True)
        overlay.write_text(
            "platforms:\n"
            f"  insights_hub: {{gateway: 'http://127.0.0.1:{port}'}}\n"
            f"  itwin_iot: {{url: 'http://127.0.0.1:{port}'}}\n"
        )
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveSandbox:
    """A sandbox served by uvicorn on a loopback port in a background thread."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.sandbox = Sandbox(settings)
        self.port = settings.port
        config = uvicorn.Config(self.sandbox.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveSandbox:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("sandbox did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


async def plan_of(project: Project, sandbox: Sandbox) -> Plan:
    """A fresh plan of `project` against the in-process `sandbox`."""
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    return plan


async def apply_project(project: Project, sandbox: Sandbox, options: ApplyOptions | None = None) -> Plan:
    """Plan and apply `project` (default `force=True`: small tenants cross the thresholds); the
    apply must succeed. Returns the plan applied."""
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, options or ApplyOptions(force=True), live=live)
    assert report.ok, (report.failed, report.skipped)
    return plan

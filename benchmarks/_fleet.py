"""Shared parts of the fleet benchmarks: an N-site fleet project, a sandbox, timed runs.

The fleet is `tests/e2e/fleetgen.make_fleet` (examples/fleet with N rows in vars/sites.csv). With
`concurrency`, an env overlay `env/bench.yaml` sets the platforms' `concurrency`, and
`load_fleet` loads it with `env="bench"`. The sandbox runs in-process (`new_sandbox`, fast to fill)
or in a child process on a loopback port (`SandboxProcess`, for wall times: its CPU is not the
client's, as with the real service); `remote_project` points a project at the child.
"""

from __future__ import annotations

import importlib.util
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import httpx

from provisioner.config import Project, load_project
from provisioner.config.schema import ApiKeyAuth
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import Plan
from provisioner.plan.graph import ExecutionGraph, Node
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import Session, make_plan, open_session

REPO = Path(__file__).resolve().parents[1]
BENCH_ENV = "bench"
REMOTE_ENV = "bench-remote"
PLATFORMS = ("insights_hub", "itwin_iot")

# The sandbox's documented demo credentials (not secrets).
DEMO_ENV = {"MDSP_CLIENT_ID": "sandbox-client", "MDSP_CLIENT_SECRET": "sandbox-secret",
            "ITWIN_IOT_API_KEY": "sandbox-key"}

# httpx's in-process ASGI transport tries `import sniffio` on every request; when sniffio is not
# installed each failed import scans sys.path (~0.2 ms a request, i.e. harness cost, not client
# cost). A None entry makes the import fail at once. No effect when sniffio is installed.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


def _fleetgen() -> ModuleType:
    path = REPO / "tests" / "e2e" / "fleetgen.py"
    spec = importlib.util.spec_from_file_location("_bench_fleetgen", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_fleet(dest: Path, sites: int, *, concurrency: Mapping[str, int] | None = None) -> Path:
    """An N-site fleet project in `dest/fleet`; `concurrency` per platform goes into env/bench.yaml."""
    root: Path = _fleetgen().make_fleet(dest / "fleet", sites)
    if concurrency:
        write_overlay(root, BENCH_ENV, {p: {"concurrency": n} for p, n in concurrency.items()})
    return root


def write_overlay(root: Path, env: str, platforms: Mapping[str, Mapping[str, int | str]]) -> None:
    """Write env/`env`.yaml setting the given fields of `platforms.<p>`."""
    def value(v: int | str) -> str:
        return str(v) if isinstance(v, int) else f"'{v}'"
    lines = ["platforms:"]
    for p, fields in sorted(platforms.items()):
        lines.append(f"  {p}: {{{', '.join(f'{k}: {value(v)}' for k, v in fields.items())}}}")
    (root / "env").mkdir(exist_ok=True)
    (root / "env" / f"{env}.yaml").write_text("\n".join(lines) + "\n")


def load_fleet(root: Path) -> Project:
    """Load a generated fleet (with its `bench` overlay when there is one)."""
    for name, value in DEMO_ENV.items():
        os.environ.setdefault(name, value)
    env = BENCH_ENV if (root / "env" / f"{BENCH_ENV}.yaml").exists() else None
    return load_project(root, env=env)


def remote_project(project: Project, url: str) -> Project:
    """`project` reloaded with an overlay pointing both platforms at `url` (concurrency kept)."""
    conc = Session(project.config).concurrency()
    write_overlay(project.root, REMOTE_ENV, {
        "insights_hub": {"gateway": url, "concurrency": conc["insights_hub"]},
        "itwin_iot": {"url": url, "concurrency": conc["itwin_iot"]},
    })
    return load_project(project.root, env=REMOTE_ENV)


def new_sandbox(latency_ms: float = 0.0) -> Sandbox:
    """An in-process sandbox; an agent's boarding configuration appears at once."""
    return Sandbox(SandboxSettings(latency_ms=latency_ms, boarding_delay_s=0.0))


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SandboxProcess:
    """`python -m provisioner sandbox` in a child process on a free loopback port.

    A context manager: entering starts it and waits until `GET /_sandbox/counts` answers; leaving
    terminates it and waits for it to exit. The admin calls below are synchronous (between runs).
    """

    def __init__(self, *, latency_ms: float = 0.0, startup_timeout: float = 30.0,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.latency_ms = latency_ms
        self.extra_args = extra_args  # more `provision sandbox` flags, e.g. ("--quota", "vendor")
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the child; closed in stop()
        self._admin = httpx.Client(base_url=self.url, timeout=60.0)

    def __enter__(self) -> SandboxProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "sandbox", "--port", str(self.port),
             "--latency-ms", f"{self.latency_ms:g}", "--boarding-delay", "0", *self.extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr, cwd=REPO)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                self._stderr.seek(0)
                err = self._stderr.read().decode("utf-8", "replace")
                raise RuntimeError(f"sandbox exited with {self.process.returncode} on start: {err}")
            try:
                if self._admin.get("/_sandbox/counts").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"sandbox on port {self.port} did not answer in {self.startup_timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the child and wait for it (killed if it does not exit in 10 s)."""
        self._admin.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()

    def seed(self, state: Mapping[str, Any]) -> None:
        """Replace the child's state with a state document (`Sandbox.snapshot()`)."""
        self._admin.post("/_sandbox/seed", json=state).raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        response = self._admin.get("/_sandbox/snapshot")
        response.raise_for_status()
        doc: dict[str, Any] = response.json()
        return doc

    def set_latency(self, ms: float) -> None:
        """Change the child's injected latency per request (e.g. 0 for a check after a timed run)."""
        self._admin.put("/_sandbox/latency", json={"ms": ms}).raise_for_status()

    def counts(self, *, reset: bool = False) -> dict[str, Any]:
        """Requests served per endpoint class and in total (`reset` clears them after)."""
        response = self._admin.get("/_sandbox/counts", params={"reset": "1"} if reset else None)
        response.raise_for_status()
        doc: dict[str, Any] = response.json()
        return doc


def platform_of_class(endpoint_class: str) -> str:
    return "itwin_iot" if endpoint_class.startswith("iot.") else "insights_hub"


def calls_by_class(session: Session) -> dict[str, int]:
    """Requests the session's clients sent so far, per endpoint class."""
    out: dict[str, int] = {}
    for client in (session.hub, session.itwin):
        if client is not None:
            out.update({c: n for c, n in client.stats.calls.items() if n})
    return out


def by_platform(by_class: Mapping[str, int]) -> dict[str, int]:
    out = dict.fromkeys(PLATFORMS, 0)
    for c, n in by_class.items():
        out[platform_of_class(c)] += n
    return out


def delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    return {c: n - before.get(c, 0) for c, n in after.items() if n - before.get(c, 0)}


def token_vendors(session: Session) -> list[str]:
    """Platforms whose client authenticates with a fetched token (one token request each)."""
    platforms = session.config.platforms
    out = ["insights_hub"] if platforms.insights_hub is not None else []
    if platforms.itwin_iot is not None and not isinstance(platforms.itwin_iot.auth, ApiKeyAuth):
        out.append("itwin_iot")
    return out


def maxrss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the apply's minimum calls ------------------------------------------------------------------

# Creates: one call per object, except an agent (its core.mclib asset, then the agent) and iTwin
# children created together with their parent (one integrate carries the whole new subtree). A
# connection with a name, location or notes needs a node update after its create: the service
# ignores node props at creation and names the node itself (iTwin seed L2977, L2888-L2892).
CREATE_CALLS = {"insights_hub.agent": 2}
CONNECTION_PROPS = ("name", "location", "notes")


def node_min_calls(node: Node, graph: ExecutionGraph) -> int:
    """The fewest calls the APIs allow for one graph node."""
    change = graph.changes[node]
    if node.op is Action.CREATE:
        if change.kind in ("itwin_iot.device", "itwin_iot.sensor"):
            parent = change.address.rsplit(".", 2)[0]
            if Node(parent, Action.CREATE) in graph.changes:
                return 0  # sent inside the parent's integrate
        if change.kind == "itwin_iot.connection":
            after = change.after or {}
            return 2 if any(after.get(k) is not None for k in CONNECTION_PROPS) else 1
        return CREATE_CALLS.get(change.kind, 1)
    if node.op is Action.UPDATE:
        return 1
    return 1  # a delete (the HTTP DELETE / integrate remove)


def apply_minimum(plan: Plan) -> dict[str, int]:
    """Minimum calls per platform to apply `plan` (token requests not included)."""
    graph = plan.graph()
    out = dict.fromkeys(PLATFORMS, 0)
    for node in graph.changes:
        out[node.address.split(".", 1)[0]] += node_min_calls(node, graph)
    return out


def critical_path_seconds(plan: Plan, latency: float) -> float:
    """The heaviest dependency chain, each call one `latency` (the unlimited-concurrency bound)."""
    graph = plan.graph()
    return graph.critical_path(lambda n: node_min_calls(n, graph) * latency)


# -- runs ---------------------------------------------------------------------------------------

@dataclass
class ApplyRun:
    """One apply (after a plan in the same session): its calls, wall and CPU seconds, peak RSS."""

    plan: Plan
    concurrency: dict[str, int]
    parallelism: int
    calls_by_class: dict[str, int]
    seconds: float
    cpu_seconds: float
    failed: int
    objects: int
    maxrss_mb: float
    token_vendors: list[str] = field(default_factory=list)

    @property
    def calls(self) -> dict[str, int]:
        return by_platform(self.calls_by_class)


async def apply_fleet(project: Project, sandbox: Sandbox | None, *, parallelism: int,
                      before_apply: Callable[[], object] | None = None) -> ApplyRun:
    """Plan and apply `project`; the timed part and the counted calls are the apply only. Without
    `sandbox`, over the network to the project's URLs (e.g. a `SandboxProcess` via
    `remote_project`); `before_apply` runs between the plan and the apply (e.g. to reset the
    child's counts), outside the timed part."""
    transport = sandbox.transport() if sandbox is not None else None
    async with open_session(project.config, transport=transport) as session:
        plan, live = await make_plan(session)
        if before_apply is not None:
            before_apply()
        before = calls_by_class(session)
        cpu = time.process_time()
        started = time.perf_counter()
        report = await apply_plan(session, plan, ApplyOptions(parallelism=parallelism, force=True),
                                  live=live)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        return ApplyRun(plan, session.concurrency(), parallelism, delta(calls_by_class(session), before),
                        seconds, cpu, len(report.failed), len(plan.graph()), maxrss_mb(),
                        token_vendors(session))


@dataclass
class PlanRun:
    """One plan of a project: its change count, calls per endpoint class, wall and CPU seconds."""

    changes: int
    calls_by_class: dict[str, int]
    seconds: float
    cpu_seconds: float
    concurrency: dict[str, int]
    token_vendors: list[str]

    @property
    def calls(self) -> dict[str, int]:
        return by_platform(self.calls_by_class)


async def plan_fleet(project: Project, sandbox: Sandbox | None,
                     transport: httpx.AsyncBaseTransport | None = None) -> PlanRun:
    """Plan `project` in a fresh session (so the token request is part of it); without `sandbox`,
    over the network to the project's URLs (through `transport` when given)."""
    transport = sandbox.transport() if sandbox is not None else transport
    async with open_session(project.config, transport=transport) as session:
        cpu = time.process_time()
        started = time.perf_counter()
        plan, _ = await make_plan(session)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        return PlanRun(len(plan.changes), calls_by_class(session), seconds, cpu, session.concurrency(),
                       token_vendors(session))


def ratio(value: float, bound: float) -> float:
    return value / bound if bound > 0 else math.inf


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> str:
    """A plain text table, columns left-aligned."""
    cells = [tuple(str(c) for c in header), *(tuple(str(c) for c in r) for r in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

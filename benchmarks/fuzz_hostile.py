"""Hostile-input fuzz harness: configurations/templates, plan files and sandbox requests.

    .venv/bin/python benchmarks/fuzz_hostile.py [--config N] [--plans N] [--requests N] [--seed S]

Configuration and plan-file cases run in a worker process whose address space is capped at 1 GiB
above its baseline (RLIMIT_AS) and whose every case has 30 s (the parent kills and restarts a
worker past that): a case counts as a clear error (ConfigError/ProvisionError), ok, a traceback
(any other exception), over-time or over-memory. A configuration that validates is then planned
against an in-process sandbox, so "validate passes but plan crashes" counts as a traceback.
Sandbox requests go over loopback to `provision sandbox` in a child process (no faults injected):
every 5xx and every dropped connection counts. Prints one table (README "Hardening").
Cases are drawn from a seeded random source: the same seed gives the same cases.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart"
FLEET = REPO / "examples" / "fleet"
CASE_SECONDS = 30.0
MEMORY_BYTES = 1024**3
DEMO_ENV = {"MDSP_CLIENT_ID": "sandbox-client", "MDSP_CLIENT_SECRET": "sandbox-secret",
            "ITWIN_IOT_API_KEY": "sandbox-key"}

Files = dict[str, str | bytes]

# -- configuration and template cases ------------------------------------------------------------

TOKENS = [*"ab:- \n{}[],'\"#&*!|>%@`?~.0123456789xyz\t\\", "\n  ", "\n    ", ": ", "- ", "&a ", "*a",
          "<<: *a", "!!str ", "!!python/object ", "${env:X}", "{{ v }}", "{% for %}", "\u2028", "\ufeff",
          "\\ud800", "\\x00", "---\n", "...\n", "? ", "|\n", ">-\n", "%YAML 1.1\n", "0x", "1e999", ".nan"]


def _quickstart() -> dict[str, str]:
    return {p.name: p.read_text() for p in QUICKSTART.glob("*.yaml")}


def _bomb(rng: random.Random) -> str:
    width, levels = rng.randint(2, 20), rng.randint(2, 12)
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _deep(rng: random.Random) -> str:
    depth = rng.choice([rng.randint(30, 100), rng.randint(100, 5000), rng.randint(5000, 200_000)])
    style = rng.choice(["flow-seq", "flow-map", "block", "seq"])
    if style == "flow-seq":
        return "x: " + "[" * depth + "]" * depth + "\n"
    if style == "flow-map":
        return "x: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if style == "block":
        depth = min(depth, 20_000)
        return "x:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth))
    return "x:\n" + "- " * min(depth, 50_000) + "a\n"


def _big_int(rng: random.Random) -> str:
    digits = rng.choice(["9", "1", "f"]) * rng.choice([50, 101, 4300, 4301, 5000, 20_000])
    prefix = "0x" if digits[0] == "f" else rng.choice(["", "-", "+", "0o"])
    form = rng.choice(["x: {}", "x: {{a: {}}}", "x: [{}]", "{}: 1", "insights_hub:\n  assets:\n    a:\n"
                       "      name: a\n      type: core.basicsite\n      parent: root\n      location: "
                       "{{latitude: {}}}"])
    return form.format(prefix + digits) + "\n"


def _unicode(rng: random.Random) -> str:
    code = rng.choice([rng.randint(0xD800, 0xDFFF), 0, 0xFFFE, rng.randint(0, 0x10FFFF), 0x202E, 0x85])
    esc = f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    name = f'"pump{esc}x"'
    where = rng.choice(["name", "key", "unit"])
    if where == "key":
        return (f"insights_hub:\n  assets:\n    {name}:\n      name: p\n"
                "      type: core.basicsite\n      parent: root\n")
    if where == "unit":
        return (f"insights_hub:\n  aspect_types:\n    A:\n      category: dynamic\n      variables:\n"
                f"        v: {{type: DOUBLE, unit: {name}}}\n")
    return (f"insights_hub:\n  assets:\n    p:\n      name: {name}\n"
            "      type: core.basicsite\n      parent: root\n")


HOSTILE_VALUES = ["99999", "0", "-1", "65536", "1e309", ".nan", ".inf", "''", "[]", "{}", "~", "true",
                  '"\\ud800"', '"a\\u0000b"', "'x y'", '"' + "x" * 5000 + '"', "1" * 120, "http://",
                  "ftp://x",
                  "'https://exa mple.com'", "'http://10.0.0.1'", "'https://u:p@h.com'", "'https://h:99999'",
                  "'https://h:0'", "'https://[::1'", "'https://ex\\u00e4mple.com'", "'https://-.com'"]


def _value_case(rng: random.Random) -> Files:
    files: Files = dict(_quickstart())
    name = rng.choice(sorted(files))
    text = str(files[name])
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    index = rng.choice(candidates)
    key, _, _ = lines[index].partition(": ")
    lines[index] = f"{key}: {rng.choice(HOSTILE_VALUES)}"
    files[name] = "\n".join(lines)
    if rng.random() < 0.3:
        files["provision.yaml"] = str(files["provision.yaml"]).replace(
            "http://127.0.0.1:8700", rng.choice(["http://127.0.0.1:99999", "http://127.0.0.1:0",
                                                 "https://h:65536", "http://127.0.0.1:65535"]), 1)
    return files


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        pos = rng.randint(0, len(text))
        if op < 0.3:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif op < 0.5:
            text = text[:pos] + text[pos + rng.randint(1, 20):]
        elif op < 0.7:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[rng.randrange(len(lines))])
            text = "\n".join(lines)
        elif op < 0.85:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = " " * rng.randint(0, 9) + lines[i].lstrip()
            text = "\n".join(lines)
        else:
            text = text[:pos] + rng.choice(HOSTILE_VALUES) + text[pos:]
    return text


JINJA = [
    "x: {{{{ 'x' * {n} }}}}", "x: {{{{ [1] * {n} }}}}", "x: {{{{ lipsum({n}) }}}}",
    "x: {{{{ range({n}) | list }}}}",
    "{{% for i in range({n}) %}}{{% for j in range({n}) %}}{{% endfor %}}{{% endfor %}}",
    "{{% for i in range({n}) %}}{{{{ 'abc' * 1000 }}}}\n{{% endfor %}}", "x: {{{{ {n} ** {n} }}}}",
    "x: {{{{ 'x' | center({n}) }}}}", "x: {{{{ '%{n}d' % 1 }}}}", "x: {{{{ '{{:{n}}}'.format(1) }}}}",
    "x: {{{{ ('x' * 1000) | replace('x', 'y' * 1000) }}}}", "x: {{{{ ('ab' * {n}) | wordwrap(1) }}}}",
    "{{% set ns = namespace(s='xx') %}}{{% for i in range(60) %}}{{% set ns.s = ns.s ~ ns.s %}}"
    "{{% endfor %}}x: 1",
    "{{% macro m(n) %}}{{{{ m(n + 1) }}}}{{% endmacro %}}{{{{ m(0) }}}}",
    "{{% macro d(s, n) %}}{{{{ d(s ~ s, n - 1) if n else s | length }}}}{{% endmacro %}}"
    "x: {{{{ d('x', {k}) }}}}",
    "{{% include 'extra.yaml.j2' %}}", "{{% extends 'extra.yaml.j2' %}}",
    "{{% include '../../../../etc/passwd' %}}",
    "x: {{{{ ''.__class__.__mro__[1].__subclasses__() }}}}", "x: {{{{ cycler.__init__.__globals__ }}}}",
    "x: {{{{ self._TemplateReference__context }}}}", "{{% set l = [] %}}{{{{ l.append(1) }}}}",
    "x: {{{{ " + "(" * 300 + "1" + ")" * 300 + " }}}}", "x: {{{{ " + "[" * 3000 + "]" * 3000 + " }}}}",
    "x: {{{{ undefined_name }}}}", "x: {{{{ 1 / 0 }}}}", "x: {{{{ {{}}['a'] }}}}", "{{% if %}}", "{{{{ }}}}",
    "x: {{{{ range(10) | join(', ' * {n}) }}}}", "x: {{{{ 'x' | indent({n}) }}}}",
    "x: {{{{ 'a\tb'.expandtabs({n}) }}}}",
    "x: {{{{ ([('x' * 1000)] * 1000) | join }}}}", "x: {{{{ ('x' * 100000) | truncate({n}) }}}}",
    "x: {{{{ 'x'.ljust({n}) }}}}", "x: {{{{ dict(a=1) | tojson }}}}", "x: {{{{ 9 ** 9 ** 9 }}}}",
]


def _jinja(rng: random.Random) -> Files:
    n = rng.choice([10, 1000, 100_000, 10**6, 10**8, 300_000_000, 10**12])
    snippet = rng.choice(JINJA).format(n=n, k=rng.randint(5, 40))
    if rng.random() < 0.3:
        snippet = _mutate(rng, snippet)
    return {**_quickstart(), "extra.yaml.j2": snippet + "\n"}


def _csv(rng: random.Random) -> Files:
    files: Files = {p.name: p.read_text() for p in FLEET.glob("*.yaml")}
    files["fleet.yaml.j2"] = (FLEET / "fleet.yaml.j2").read_text()
    rows = (FLEET / "vars" / "sites.csv").read_text()
    kind = rng.choice(["field", "columns", "nul", "utf8", "quote", "rows", "header"])
    if kind == "field":
        rows += "x" * rng.choice([1000, 70_000, 2_000_000]) + "\n"
    elif kind == "columns":
        rows += ",".join(["a"] * rng.randint(9, 50_000)) + "\n"
    elif kind == "nul":
        rows = rows.replace(",", ",\x00", 3)
    elif kind == "quote":
        rows += '"unterminated\n' * 3
    elif kind == "rows":
        line = rows.split("\n")[1]
        rows += (line + "\n") * rng.randint(10, 300)
    elif kind == "header":
        rows = "key,key,name\n" + rows
    data: str | bytes = rows
    if kind == "utf8":
        data = rows.encode() + b"\xff\xfe\xfa\n"
    files["vars/sites.csv"] = data
    return files


def config_case(rng: random.Random) -> tuple[str, Files]:
    roll = rng.random()
    if roll < 0.15:
        text = "".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 300)))
        alone = rng.random() >= 0.5
        return "yaml-random", ({"provision.yaml": text} if alone else {**_quickstart(), "extra.yaml": text})
    if roll < 0.35:
        files = dict(_quickstart())
        name = rng.choice(sorted(files))
        files[name] = _mutate(rng, str(files[name]))
        return "yaml-mutate", files
    if roll < 0.42:
        many = "a: &a x\nb: [" + ", ".join(["*a"] * 120_000) + "]\n"  # past MAX_ALIASES; slow to scan
        texts = [_bomb(rng)] * 6 + ["a: &a [x, *a]\n", "a: &a {b: *a}\n", "a: &a x\nb: &b [*a, *b]\n"]
        text = many if rng.random() < 0.05 else rng.choice(texts)
        return "yaml-bomb", {**_quickstart(), "extra.yaml": text}
    if roll < 0.48:
        return "yaml-deep", {**_quickstart(), "extra.yaml": _deep(rng)}
    if roll < 0.54:
        return "yaml-int", {**_quickstart(), "extra.yaml": _big_int(rng)}
    if roll < 0.60:
        return "yaml-unicode", {**_quickstart(), "extra.yaml": _unicode(rng)}
    if roll < 0.75:
        return "values", _value_case(rng)
    if roll < 0.93:
        return "jinja", _jinja(rng)
    return "csv", _csv(rng)


# -- plan-file cases ---------------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PLAN_VALUES: list[Any] = [None, True, 0, -1, 12345, 1.5, "", "x", "mars", [], {}, [1], {"a": 1}, "create",
                          "insights_hub", "itwin_iot", 10**30, "\u0000"]


def plan_case(rng: random.Random, base: bytes) -> tuple[str, bytes]:
    from provisioner.plan.planfile import checksum

    roll = rng.random()
    if roll < 0.55:
        data = json.loads(base)
        data.pop("checksum")
        target = rng.choice(_paths(data))
        node = data
        for key in target[:-1]:
            node = node[key]
        node[target[-1]] = rng.choice(PLAN_VALUES)
        if rng.random() < 0.8:
            data["checksum"] = checksum(data)
            return "resigned", json.dumps(data).encode()
        data["checksum"] = "sha256:" + "0" * 64
        return "tampered", json.dumps(data).encode()
    text = base
    if roll < 0.7:
        return "truncated", text[: rng.randint(0, len(text))]
    if roll < 0.85:
        pos = rng.randint(0, len(text))
        token = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"9" * 5000, b"[" * 200_000, b"\xff\xfe",
                            b"\x00", b'"\\ud800"', b"1e999", b"}", b",", b'{"a":' * 100_000])
        return "spliced", text[:pos] + token + text[pos:]
    data = bytearray(text)
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return "bitflip", bytes(data)


# -- the worker ------------------------------------------------------------------------------------


def _write(root: Path, files: Files) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8", "surrogatepass"))


def _run_config(files: Files, plan_limit: int = 60) -> tuple[str, str]:
    import asyncio

    from provisioner.config import load_project
    from provisioner.errors import ProvisionError
    from provisioner.sandbox import Sandbox, SandboxSettings
    from provisioner.session import make_plan, open_session

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, files)
        try:
            project = load_project(root)
        except ProvisionError:
            return "clear", ""
        if len(project.locations) > plan_limit:
            return "ok", ""  # a fleet: planning it is the benchmarks' job, not the fuzzer's

        async def plan() -> None:
            sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
            async with open_session(project.config, transport=sandbox.transport()) as session:
                await make_plan(session)

        try:
            asyncio.run(plan())
        except ProvisionError:
            return "clear", ""
        return "ok", ""


def _run_plan(raw: bytes) -> tuple[str, str]:
    from provisioner.errors import ProvisionError
    from provisioner.plan import read_plan

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        path.write_bytes(raw)
        try:
            read_plan(path, platforms={"insights_hub", "itwin_iot"})
        except ProvisionError:
            return "clear", ""
        return "ok", ""


def _worker(conn: Connection) -> None:
    os.environ.update(DEMO_ENV)
    import logging

    logging.disable(logging.CRITICAL)
    vm = _vm_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (vm + MEMORY_BYTES, vm + MEMORY_BYTES))
    import traceback

    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:
            return
        try:
            result = _run_config(payload) if kind == "config" else _run_plan(payload)
        except MemoryError:
            result = ("memory", "")
        except BaseException as exc:  # a traceback: exactly what the harness hunts for
            result = ("traceback", f"{type(exc).__name__}: {str(exc)[:120]} @ "
                      + traceback.extract_tb(exc.__traceback__)[-1].filename.rsplit("/", 1)[-1])
        conn.send(result)


def _vm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


class Worker:
    """One worker process; `run` gives the outcome of one case, restarting the worker when needed."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, kind: str, payload: Any) -> tuple[str, str, float]:
        started = time.monotonic()
        self.conn.send((kind, payload))
        if not self.conn.poll(CASE_SECONDS):
            self.proc.kill()
            self.proc.join()
            self._start()
            return "time", "", CASE_SECONDS
        try:
            outcome, detail = self.conn.recv()
        except EOFError:  # killed by the kernel, e.g. out of memory
            self.proc.join()
            self._start()
            return "memory", "worker died", time.monotonic() - started
        return outcome, detail, time.monotonic() - started

    def close(self) -> None:
        self.conn.close()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()


# -- sandbox requests -------------------------------------------------------------------------------

HOSTILE_STRINGS = ["", "x", "%ff%fe", "%00", "..", "../../_sandbox/reset", "a" * 5000, "\u00e4\u20ac",
                   "core.mclib", "sandbox.Motor", "0" * 32, "{}", "[]", "null", "-1", "1e20", "9" * 5000,
                   "%7B%22a%22%3A1%7D", " ", "*", "1;DROP", "\u202e"]
ITWIN = ("/api/nodes", "/api/devices", "/api/sensors", "/api/integrations", "/api/data", "/api/metrics",
         "/sensor-data")
QUERY_KEYS = ["filter", "page", "size", "sort", "pageSize", "pageNumber", "projectIds", "includeShared",
              "exploded", "ifMatch", "continuationToken", "top", "sortBy", "iTwinId", "reset", "x"]
QUERY_VALUES = ["0", "1", "-1", "2", "200", "201", "1e20", "9" * 30, "9" * 5000, "abc", "", "true",
                "sandbox-project",
                '{"name": "x"}', '{"and": [' * 200 + "{}" + "]}" * 200, '{"name": ' + "1" * 5000 + "}",
                '{"name": {"eq": 1}}', '{"or": []}', '{"nope": 1}', '{"name": {"in": "x"}}', "[", "{", "%ff"]


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice([None, True, False, 0, -1, 2**31, 2**63, 1.5, 1e308, "", "x", "a" * 300,
                           "\u00e4", "DOUBLE", "SHARED_SECRET", "root", "core.basicasset"])
    if roll < 0.7:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["name", "typeId", "parentId", "aspectId", "aspects", "variables", "dataType", "unit", "id",
            "entityId", "agentId", "dataPointId", "propertySetName", "propertyName", "dataSources",
            "dataPoints", "securityProfile", "description", "category", "spec", "limits", "ms", "type",
            "keepMapping", "eventTypeName", "location", "externalId", "length", "items", "projectId"]
    return {rng.choice(keys): _json_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _body(rng: random.Random) -> tuple[bytes | None, str | None]:
    roll = rng.random()
    ctype = rng.choice(["application/json"] * 6 + [
        "application/x-www-form-urlencoded", "text/plain", None, "application/merge-patch+json",
        "application/json; charset=latin-1"])
    if roll < 0.45:
        return json.dumps(_json_value(rng)).encode(), ctype
    token = rng.choice([b"[" * 100_000, b"{" * 10_000, b'{"a":' * 5000 + b"1" + b"}" * 5000, b"9" * 5000,
                        b'{"name": ' + b"9" * 5000 + b"}", b'{"name": "\xff\xfe"}', b"\xff" * 10, b"NaN",
                        b'{"name": NaN}', b'{"name": 1e999}', b"", b"null", b"[]", b'"x"',
                        b'{"name": "' + b"x" * 11_000_000 + b'"}',
                        bytes(rng.randrange(256) for _ in range(40)),
                        b"grant_type=client_credentials", b'{"name": "\\ud800"}'])
    return token, ctype


def _route_path(rng: random.Random, template: str, ids: dict[str, list[str]]) -> str:
    def value(name: str) -> str:
        if rng.random() < 0.6:
            pool = ids.get(name) or ids["id"]
            return rng.choice(pool)
        return rng.choice(HOSTILE_STRINGS)

    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1:end].split(":")[0]
        out = out[:start] + value(name) + out[end + 1:]
    return out


def _routes() -> list[tuple[str, str]]:
    from starlette.routing import Route

    from provisioner.sandbox import Sandbox

    found: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Route):
                for method in sorted(route.methods or ["GET"]):
                    if method != "HEAD" and route.path != "/_sandbox/seed":
                        found.append((method, prefix + route.path))
            elif hasattr(route, "routes"):
                walk(route.routes, prefix + getattr(route, "path", ""))

    walk(Sandbox().routes)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_sandbox(n: int, rng: random.Random) -> dict[str, Any]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- the child's stderr; read and closed in `finally`
    proc = subprocess.Popen([sys.executable, "-m", "provisioner", "sandbox", "--port", str(port),
                             "--boarding-delay", "0", "--seed", "16"], stdout=subprocess.DEVNULL, stderr=log,
                            cwd=REPO)
    stats: Counter[str] = Counter()
    where: Counter[str] = Counter()
    try:
        client = httpx.Client(base_url=url, timeout=CASE_SECONDS)
        for _ in range(100):
            try:
                client.get("/_sandbox/counts")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "quickstart"
            shutil.copytree(QUICKSTART, project)
            (project / "env").mkdir(exist_ok=True)
            (project / "env" / "test.yaml").write_text(
                f"platforms:\n  insights_hub: {{gateway: '{url}'}}\n  itwin_iot: {{url: '{url}'}}\n")
            subprocess.run([sys.executable, "-m", "provisioner", "apply", str(project), "--env", "test",
                            "--yes"],
                           env={**os.environ, **DEMO_ENV}, capture_output=True, check=True, cwd=tmp)
        snapshot = client.get("/_sandbox/snapshot").json()
        hub = snapshot["insightsHub"]
        ids = {"id": [a["assetId"] for a in hub["assets"]] + [t["id"] for t in hub["assetTypes"]]
               + [t["id"] for t in hub["aspectTypes"]] + [a["id"] for a in hub["agents"]]
               + [m["id"] for m in hub["dataPointMappings"]] + [m["id"] for m in hub["eventMappings"]]}
        itwin_ids = [e.get("id") for k, v in (snapshot.get("itwin") or {}).items() if isinstance(v, list)
                     for e in v if isinstance(e, dict) and e.get("id")]
        ids["raw"] = [f"{i}" for i in itwin_ids] or ["x"]
        token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=("sandbox-client", "sandbox-secret")).json()["access_token"]
        routes = _routes()
        for number in range(n):
            if number % 250 == 0:
                client.post("/_sandbox/seed", json=snapshot)
            method, template = rng.choice(routes)
            path = _route_path(rng, template, ids)
            params = {k: rng.choice(QUERY_VALUES) for k in rng.sample(QUERY_KEYS, rng.randint(0, 3))}
            if template.startswith(ITWIN) and rng.random() < 0.8:
                params.setdefault("projectIds", "sandbox-project")
            headers: dict[str, str] = {}
            if rng.random() < 0.9:
                headers["Authorization"] = "sandbox-key" if template.startswith(ITWIN) else f"Bearer {token}"
            if rng.random() < 0.4:
                headers["If-Match"] = rng.choice(["0", "1", "*", "W/\"2\"", "abc", "9" * 5000, ""])
            with_body = method in ("POST", "PUT", "PATCH") or rng.random() < 0.05
            body, ctype = _body(rng) if with_body else (None, None)
            if ctype:
                headers["Content-Type"] = ctype
            started = time.monotonic()
            try:
                response = client.request(method, path, params=params, content=body, headers=headers)
            except httpx.TimeoutException:
                stats["time"] += 1
                continue
            except (httpx.TransportError, httpx.InvalidURL, UnicodeError) as exc:
                if isinstance(exc, httpx.TransportError):
                    stats["dropped"] += 1
                    where[f"dropped {method} {template}"] += 1
                else:
                    stats["client-refused"] += 1  # httpx itself will not send it (not a sandbox result)
                continue
            stats["sent"] += 1
            if time.monotonic() - started > CASE_SECONDS:
                stats["time"] += 1
            if response.status_code >= 500:
                stats["5xx"] += 1
                where[f"{response.status_code} {method} {template}"] += 1
            elif response.status_code >= 400:
                stats["4xx"] += 1
            else:
                stats["2xx"] += 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
        stats["server tracebacks"] = text.count("Traceback (most recent call last)")
        log.close()
    return {"stats": stats, "where": where}


# -- driver -----------------------------------------------------------------------------------------


def _base_plan() -> bytes:
    import asyncio

    from provisioner.config import load_project
    from provisioner.plan import write_plan
    from provisioner.sandbox import Sandbox, SandboxSettings
    from provisioner.session import config_digest, make_plan, open_session

    os.environ.update(DEMO_ENV)
    project = load_project(QUICKSTART)

    async def plan() -> Any:
        sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
        async with open_session(project.config, transport=sandbox.transport()) as session:
            return (await make_plan(session))[0]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        write_plan(asyncio.run(plan()), path, config_digest=config_digest(project.config), stack="quickstart")
        return path.read_bytes()


def _run_cases(workers: list[Worker], n: int, make: Callable[[], tuple[str, Any]],
               kind: str) -> dict[str, Any]:
    """`n` cases from `make` (drawn in order under a lock: the same seed gives the same cases),
    spread over the workers."""
    tally: Counter[str] = Counter()
    samples: Counter[str] = Counter()
    slowest = [0.0]
    lock = threading.Lock()
    drawn = [0]

    def drive(worker: Worker) -> None:
        while True:
            with lock:
                if drawn[0] >= n:
                    return
                drawn[0] += 1
                if drawn[0] % 500 == 0:
                    print(f"  {kind}: {drawn[0]} cases, {dict(tally)}", file=sys.stderr, flush=True)
                label, payload = make()
            outcome, detail, seconds = worker.run(kind, payload)
            with lock:
                slowest[0] = max(slowest[0], seconds)
                tally[outcome] += 1
                if outcome in ("traceback", "time", "memory"):
                    samples[f"{label}: {outcome} {detail}"] += 1

    threads = [threading.Thread(target=drive, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"tally": tally, "samples": samples, "slowest": slowest[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=int, default=10_000)
    parser.add_argument("--plans", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the config/plan cases")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    base = _base_plan()
    workers = [Worker() for _ in range(args.workers)]
    try:
        config = _run_cases(workers, args.config, lambda: config_case(rng), "config")
        plans = _run_cases(workers, args.plans, lambda: plan_case(rng, base), "plan")
    finally:
        for worker in workers:
            worker.close()
    sandbox = run_sandbox(args.requests, rng) if args.requests else {"stats": Counter(), "where": Counter()}

    elapsed = time.monotonic() - started
    print(f"fuzz_hostile seed {args.seed}: {elapsed:.0f} s; per case ≤ {CASE_SECONDS:g} s, "
          f"≤ 1 GiB above the worker's baseline (RLIMIT_AS)")
    print()
    print("| target | cases | ok | clear errors | tracebacks | over-time (30 s) | over-memory (1 GB) "
          "| slowest |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result in (("configuration/template", config), ("plan file", plans)):
        t = result["tally"]
        print(f"| {name} | {sum(t.values())} | {t['ok']} | {t['clear']} | {t['traceback']} | {t['time']} | "
              f"{t['memory']} | {result['slowest']:.1f} s |")
    s = sandbox["stats"]
    print()
    print("| target | requests | 2xx | 4xx | 5xx | dropped connections | over-time (30 s) "
          "| server tracebacks |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total = s["sent"] + s["dropped"] + s["time"]
    print(f"| sandbox (loopback, no faults) | {total} | {s['2xx']} | {s['4xx']} | {s['5xx']} "
          f"| {s['dropped']} | "
          f"{s['time']} | {s['server tracebacks']} |")
    if s["client-refused"]:
        print(f"({s['client-refused']} generated requests httpx refused to send are not counted)")
    for title, samples in (("configuration", config["samples"]), ("plan file", plans["samples"]),
                           ("sandbox", sandbox["where"])):
        if samples:
            print(f"\n{title} failures:")
            for text, count in samples.most_common(25):
                print(f"  {count:5d}  {text}")


if __name__ == "__main__":
    main()

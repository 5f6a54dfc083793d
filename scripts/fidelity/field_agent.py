"""`make fidelity`, field part: the vendor's MindConnectAgent onboards from a `provision boarding` file.

Starts the sandbox on a free loopback port, applies the quickstart to it, writes the boarding files
with `provision boarding`, runs scripts/fidelity/onboard_agent.js (mindconnect-nodejs
`MindConnectAgent`: OnBoard, GetDataSourceConfiguration, PostData, and PostEvent for each of the
agent's event mappings: an event of the mapped type on the mapped asset, with the mapped field and
value) on the agent's file, then runs `provision check` and compares every reported value and
timestamp with what the SDK sent (the quickstart's iTwin sensors, which no vendor library feeds,
are the only things allowed not to flow).
Runs once per security profile (SHARED_SECRET; RSA_3072 with a PKCS#1 key from
`openssl genrsa -traditional 3072`).
Exit 0 when the SDK onboarded, uploaded and check reported exactly its values (the same, non-empty
set of data points, each with the SDK's value and timestamp; every event mapping delivering, with
the timestamp of the SDK's event); 1 otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ruamel.yaml import YAML
from run_fidelity import CACHE, REPO, free_port, install, log, start_sandbox

DEMO_ENV = {
    "MDSP_CLIENT_ID": "sandbox-client",
    "MDSP_CLIENT_SECRET": "sandbox-secret",
    "ITWIN_IOT_API_KEY": "sandbox-key",
}


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "provisioner", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **DEMO_ENV}, timeout=300
    )


def event_specs(hub_file: Path, agent: str, ids: dict[str, str]) -> list[dict[str, str]]:
    """What PostEvent sends for each event mapping of `agent` in the project's Insights Hub file:
    the mapped asset's server id (from `provision outputs`), the event type, the field and value."""
    doc = YAML(typ="safe").load(hub_file.read_text())
    mappings = doc["insights_hub"]["agents"][agent].get("event_mappings") or []
    return [{"entityId": ids[f"insights_hub.assets.{m['asset']}"], "typeId": m["event_type"],
             "typeName": m["event_type_name"], "field": m["field"], "value": m["value"]} for m in mappings]


def main() -> int:
    install()
    results = [run_profile(profile) for profile in ("SHARED_SECRET", "RSA_3072")]
    return 0 if all(results) else 1


def run_profile(profile: str) -> bool:
    """One fresh sandbox, the quickstart's agent with `profile`, the SDK onboarding and uploading."""
    log(f"-- {profile}")
    port = free_port()
    sandbox = start_sandbox(port)
    try:
        with tempfile.TemporaryDirectory(prefix="fidelity-field-") as tmp:
            work = Path(tmp)
            project = work / "quickstart"
            shutil.copytree(REPO / "examples" / "quickstart", project)
            hub_file = project / "insights-hub.yaml"
            hub_file.write_text(
                hub_file.read_text().replace(
                    "security_profile: SHARED_SECRET", f"security_profile: {profile}"
                )
            )
            (project / "env").mkdir(exist_ok=True)
            (project / "env" / "fidelity.yaml").write_text(
                "platforms:\n"
                f"  insights_hub: {{gateway: 'http://127.0.0.1:{port}'}}\n"
                f"  itwin_iot: {{url: 'http://127.0.0.1:{port}'}}\n"
            )
            common = (str(project), "--env", "fidelity")
            for step in (("apply", *common, "--yes"), ("boarding", *common, "--out", str(work / "boarding"))):
                done = provision(*step)
                if done.returncode != 0:
                    log(f"FAIL provision {step[0]}: {done.stderr[-400:]}")
                    return False
                log(f"ok   provision {step[0]}")
            outputs = provision("outputs", *common, "--format", "json")
            if outputs.returncode != 0:
                log(f"FAIL provision outputs: {outputs.stderr[-400:]}")
                return False
            specs = event_specs(hub_file, "acme-motor-agent", json.loads(outputs.stdout))
            board_file = work / "boarding" / "acme-motor-agent.json"
            credentials = f"{DEMO_ENV['MDSP_CLIENT_ID']}:{DEMO_ENV['MDSP_CLIENT_SECRET']}"
            basic = "Basic " + base64.b64encode(credentials.encode()).decode()
            command = [
                "node",
                str(Path(__file__).with_name("onboard_agent.js")),
                str(board_file),
                str(work / "mc"),
                json.dumps(specs),
            ]
            if profile == "RSA_3072":
                key = work / "agent.key.pem"  # PKCS#1 ("BEGIN RSA PRIVATE KEY"), as the SDK reads it
                subprocess.run(
                    ["openssl", "genrsa", "-traditional", "-out", str(key), "3072"],
                    check=True,
                    capture_output=True,
                )
                command.append(str(key))
            node = subprocess.run(
                command,
                cwd=CACHE,
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "NODE_PATH": str(CACHE / "node_modules"), "FIDELITY_BASIC_AUTH": basic},
            )
            if node.returncode != 0:
                log(f"FAIL MindConnectAgent: {node.stderr[-400:]}")
                return False
            sent = json.loads(node.stdout.strip().splitlines()[-1])
            log(
                f"ok   MindConnectAgent onboarded, uploaded {len(sent['values'])} values and posted "
                f"{len(sent['events'])} event(s) at {sent['timestamp']}"
            )
            checked = provision("check", *common, "--since", "10m", "--format", "json")
            report = json.loads(checked.stdout) if checked.stdout.strip() else {}
            # no vendor library feeds iTwin IoT: the quickstart's sensor metrics do not flow here,
            # so check exits 2; everything else (agents, mappings, event mappings) must flow
            unfed = [m for m in report.get("sensor_metrics", []) if m["cause"]]
            only_unfed = (checked.returncode == 2 and not report.get("missing")
                          and all(a["cause"] is None for a in report.get("agents", []))
                          and all(m["cause"] is None for m in report.get("mappings", []))
                          and all(e["cause"] is None for e in report.get("event_mappings", [])) and unfed)
            if checked.returncode != 0 and not only_unfed:
                log(
                    f"FAIL provision check exit {checked.returncode}: {report.get('summary')} "
                    f"{checked.stderr[-300:]}"
                )
                return False
            by_point = {v["dataPointId"]: v["value"] for v in sent["values"]}
            reported = {m["address"].split(".mappings.")[1].split(".")[0] for m in report["mappings"]}
            if not by_point or reported != set(by_point):
                log(
                    f"FAIL provision check reported data points {sorted(reported)}, "
                    f"the SDK sent {sorted(by_point)}"
                )
                return False
            wrong = []
            for mapping in report["mappings"]:
                point = mapping["address"].split(".mappings.")[1].split(".")[0]
                stamp_ok = mapping["latest_time"] == sent["timestamp"]
                value_ok = float(mapping["latest_value"]) == float(by_point[point])
                if not (stamp_ok and value_ok):
                    wrong.append(f"{point}: check {mapping['latest_value']} at {mapping['latest_time']}")
            events = report.get("event_mappings", [])
            if len(events) != len(specs) or not specs:
                log(f"FAIL provision check reported {len(events)} event mappings, the SDK fed {len(specs)}")
                return False
            wrong += [f"{e['address']}: check {e['latest_time']}" for e in events
                      if e["latest_time"] != sent["timestamp"]]
            if wrong:
                log("FAIL provision check reported other values: " + "; ".join(wrong))
                return False
            log(f"ok   provision check: {report['summary']}; every value and timestamp is the SDK's")
            return True
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())

"""`make fidelity`, field part: the vendor's MindConnectAgent onboards from a `provision boarding` file.

Starts the sandbox on a free loopback port, applies the quickstart to it, writes the boarding files
with `provision boarding`, runs scripts/fidelity/onboard_agent.js (mindconnect-nodejs
`MindConnectAgent`: OnBoard, GetDataSourceConfiguration, PostData) on the agent's file, then runs
`provision check` and compares every reported value and timestamp with what the SDK sent (the
quickstart's event mapping and iTwin sensors, which the SDK does not feed, are the only things
allowed not to flow).
Runs once per security profile (SHARED_SECRET; RSA_3072 with a PKCS#1 key from
`openssl genrsa -traditional 3072`).
Exit 0 when the SDK onboarded, uploaded and check reported exactly its values (the same, non-empty
set of data points, each with the SDK's value and timestamp); 1 otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
            board_file = work / "boarding" / "acme-motor-agent.json"
            command = [
                "node",
                str(Path(__file__).with_name("onboard_agent.js")),
                str(board_file),
                str(work / "mc"),
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
                env={**os.environ, "NODE_PATH": str(CACHE / "node_modules")},
            )
            if node.returncode != 0:
                log(f"FAIL MindConnectAgent: {node.stderr[-400:]}")
                return False
            sent = json.loads(node.stdout.strip().splitlines()[-1])
            log(
                f"ok   MindConnectAgent onboarded and uploaded {len(sent['values'])} values "
                f"at {sent['timestamp']}"
            )
            checked = provision("check", *common, "--since", "10m", "--format", "json")
            report = json.loads(checked.stdout) if checked.stdout.strip() else {}
            # the SDK sends time series only (its PostEvent goes to Event Management directly, and
            # it knows nothing of iTwin): the quickstart's event mapping and sensor metrics do not
            # flow here, so check exits 2; everything else must flow
            unfed = [e for e in report.get("event_mappings", []) if e["cause"]]
            unfed += [m for m in report.get("sensor_metrics", []) if m["cause"]]
            only_unfed = (checked.returncode == 2 and not report.get("missing")
                          and all(a["cause"] is None for a in report.get("agents", []))
                          and all(m["cause"] is None for m in report.get("mappings", [])) and unfed)
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

"""End to end on a sandbox served on loopback: apply the quickstart → boarding → simulate --project →
check exits 0 and reports exactly the values, events and iTwin observations (and timestamps)
simulate sent; a sensor metric and an event mapping never fed are found and named (exit 2)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cli import provision
from harness import LiveSandbox, copy_example


def same_value(sent: str, stored: object) -> bool:
    """The agent sends strings; the service stores them typed by the variable."""
    if isinstance(stored, bool):
        return sent == str(stored).lower()
    if isinstance(stored, int | float):
        return float(sent) == float(stored)
    return sent == stored


def rolled_out(tmp_path: Path, live: LiveSandbox) -> Path:
    project = copy_example("quickstart", tmp_path, port=live.port)
    applied = provision("apply", str(project), "--env", "test", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return project


def test_apply_boarding_simulate_check_reports_the_sent_values(
    tmp_path: Path, live_sandbox: LiveSandbox
) -> None:
    project = rolled_out(tmp_path, live_sandbox)
    secrets = tmp_path / "secrets"
    boarded = provision("boarding", str(project), "--env", "test", "--out", str(secrets))
    assert boarded.returncode == 0, boarded.stderr
    files = sorted(secrets.glob("*.json"))
    assert [f.name for f in files] == ["acme-motor-agent.json"]
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    doc = json.loads(files[0].read_text())
    assert set(doc) == {"content", "expiration"}
    assert set(doc["content"]) == {"baseUrl", "iat", "clientCredentialProfile", "clientId", "tenant"}
    assert boarded.stdout.strip() == f"{files[0]}  expires {doc['expiration']}"

    outputs = provision("outputs", str(project), "--env", "test")
    assert outputs.returncode == 0, outputs.stderr
    ids = json.loads(outputs.stdout)
    assert ids["insights_hub.agents.acme-motor-agent"] == doc["content"]["clientId"]
    assert ids["insights_hub.assets.acme-motor"] and list(ids) == sorted(ids)

    simulated = provision("simulate", str(secrets), "--duration", "2s", "--interval", "1s", "--seed", "7",
                          "--project", str(project), "--env", "test")
    assert simulated.returncode == 0, simulated.stderr
    assert "acme-motor-agent: onboarded; 2 uploads of" in simulated.stdout

    checked = provision("check", str(project), "--env", "test", "--format", "json", "--since", "5m")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["flowing"] and report["summary"].startswith("1/1 agents online")
    assert report["mappings"] and all(m["cause"] is None for m in report["mappings"])
    sent = json.loads((secrets / ".simulator" / "acme-motor-agent.sent.json").read_text())
    last = {}
    for value in sent:
        last[value["data_point"]] = value
    by_variable = {m["address"].split(".mappings.")[1].split(".")[0]: m for m in report["mappings"]}
    for point, value in by_variable.items():
        assert value["latest_time"] == last[point]["timestamp"], point
        assert same_value(last[point]["value"], value["latest_value"]), (point, value, last[point])
    assert report["calls"] >= report["minimum_calls_per_round"] > 0
    assert report["summary"] == ("1/1 agents online, 5/5 mappings delivering, 1/1 event mappings delivering, "
                                 "4/4 sensor metrics receiving observations")
    events = json.loads((secrets / ".simulator" / "acme-motor-agent.events.json").read_text())
    assert len(events) == 1  # every 10th interval from the first: 1 of 2
    (event,) = report["event_mappings"]
    assert (event["address"], event["latest_time"], event["cause"]) == (events[0]["mapping"],
                                                                      events[0]["timestamp"], None)
    observed = json.loads((secrets / ".simulator" / "itwin.sent.json").read_text())
    assert len(observed) == 2 * 2  # 2 sensors, 2 intervals
    last_obs = {(o["sensor"], m): (o["timestamp"], v) for o in observed for m, v in o["values"].items()}
    assert {(m["sensor"], m["metric"]): (m["latest_time"], m["latest_value"])
            for m in report["sensor_metrics"]} == last_obs
    for fmt in ("text", "markdown"):
        shown = provision("check", str(project), "--env", "test", "--format", fmt, "--since", "5m")
        assert shown.returncode == 0 and "Everything flows." in shown.stdout, shown.stdout
        assert "not checked" not in shown.stdout

    points = len({v["data_point"] for v in sent})
    assert simulated.stdout.splitlines() == [
        f"acme-motor-agent: onboarded; 2 uploads of {points} data points; 1 event",
        f"1 agent sent {2 * points} values",
        "iTwin IoT: 2 sensors sent 8 observed values in 2 uploads",
    ]

    again = provision("simulate", str(secrets), "--duration", "0s")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"acme-motor-agent: reused its registration; 1 upload of {points} data points",
        f"1 agent sent {points} values",
    ]


def test_a_sensor_metric_and_an_event_mapping_never_fed_are_named(
    tmp_path: Path, live_sandbox: LiveSandbox
) -> None:
    project = rolled_out(tmp_path, live_sandbox)
    secrets = tmp_path / "secrets"
    assert provision("boarding", str(project), "--env", "test", "--out", str(secrets)).returncode == 0
    ids = json.loads(provision("outputs", str(project), "--env", "test").stdout)
    (event_mapping,) = [a for a in ids if ".event_mappings." in a]
    tilt_1 = "itwin_iot.connections.north.devices.logger-2.sensors.tilt-1"
    tilt_2 = "itwin_iot.connections.north.devices.logger-2.sensors.tilt-2"
    simulated = provision("simulate", str(secrets), "--duration", "0s", "--project", str(project),
                          "--env", "test", "--omit", f"{tilt_1}:Alignment_Right_SD", "--omit", tilt_2,
                          "--omit", event_mapping)
    assert simulated.returncode == 0, simulated.stderr
    checked = provision("check", str(project), "--env", "test", "--since", "5m")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0] == ("1/1 agents online, 5/5 mappings delivering, 0/1 event mappings delivering, "
                        "1/4 sensor metrics receiving observations")
    problems = {line.split(": ", 1)[0].strip(): line.split(": ", 1)[1] for line in lines
                if line.startswith("  ")}
    assert set(problems) == {event_mapping, f"{tilt_1}.metrics.Alignment_Right_SD",
                             f"{tilt_2}.metrics.Tilt_X", f"{tilt_2}.metrics.Tilt_Y"}
    assert problems[event_mapping].startswith("no event since ")
    assert problems[f"{tilt_1}.metrics.Alignment_Right_SD"].startswith("metric missing from the sensor's")
    assert problems[f"{tilt_2}.metrics.Tilt_X"].endswith("(the device is not uploading)")

"""One fixture project per error class: exit code 1 and the exact place and address of the error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# fixture, file, text at the error, offset into that text, address, message fragment
CASES = [
    (
        "bad-unknown-reference",
        "resources.yaml",
        "type: Enginee",
        6,
        "insights_hub.assets.motor",
        "unknown asset type 'Enginee'",
    ),
    (
        "bad-type-mismatch",
        "agent.yaml",
        "variable: Temperature",
        10,
        "insights_hub.agents.agent.mappings.DP-T.motor.env.Temperature",
        "INVALID_TYPE",
    ),
    (
        "bad-unit-mismatch",
        "agent.yaml",
        "variable: Temperature",
        10,
        "insights_hub.agents.agent.mappings.DP-T.motor.env.Temperature",
        "INVALID_UNIT",
    ),
    ("bad-name", "types.yaml", "Bad-Name:", 0, "insights_hub.aspect_types.Bad-Name", "bad aspect type name"),
    ("bad-name", "types.yaml", "tenant: {type", 0, "insights_hub.aspect_types.Bad-Name", "reserved word"),
    ("bad-too-long", "agent.yaml", "name: AAA", 6, "insights_hub.agents.agent", "at most 128 characters"),
    (
        "bad-limit-exceeded",
        "agent.yaml.j2",
        "event_mappings:",
        0,
        "insights_hub.agents.agent",
        "51 event mappings: an agent has at most 50",
    ),
    ("bad-big-string-length", "types.yaml", "type: BIG_STRING", 6, "insights_hub.aspect_types.Logbook",
     "a BIG_STRING variable needs a length"),
    ("bad-metric-unit", "itwin.yaml", "{metric: Tilt_Y}", 0,
     "itwin_iot.connections.north.devices.logger.sensors.tilt", "metric 'Tilt_Y' needs a unit"),
    ("bad-cycle", "assets.yaml", "parent: b", 8, "insights_hub.assets.a", "asset parent cycle: a → b → a"),
    ("bad-duplicate-key", "b.yaml", "motor:", 0, "insights_hub.assets.motor", "defined twice"),
    (
        "bad-duplicate-key-in-file",
        "assets.yaml",
        "name: Motor again",
        0,
        "insights_hub.assets.motor.name",
        "duplicate key 'name'",
    ),
    ("bad-template-undefined", "sites.yaml.j2", "site.serial", 5, None, "has no attribute 'serial'"),
    (
        "bad-template-line",
        "sites.yaml.j2",
        "type: {{",
        6,
        "insights_hub.assets.site-c",
        "unknown asset type 'core.nosuchtype'",
    ),
    (
        "bad-template-line",
        "sites.yaml.j2",
        "colour: red",
        0,
        "insights_hub.assets.site-b",
        "unknown field 'colour'",
    ),
    (
        "bad-unknown-field",
        "assets.yaml",
        "colour: red",
        0,
        "insights_hub.assets.motor",
        "unknown field 'colour'",
    ),
    (
        "bad-literal-secret",
        "provision.yaml",
        "client_secret: not-a-reference",
        15,
        "platforms.insights_hub",
        "literal secrets are not allowed",
    ),
    (
        "bad-http-url",
        "provision.yaml",
        "url: http://iiot",
        5,
        "platforms.itwin_iot",
        "plain http is only allowed for loopback hosts",
    ),
]


@pytest.mark.parametrize(("fixture", "file", "needle", "offset", "address", "message"), CASES)
def test_error_names_place_and_address(
    run_cli: Callable[..., tuple[int, str, str]],
    where: Callable[..., str],
    fixture: str,
    file: str,
    needle: str,
    offset: int,
    address: str | None,
    message: str,
) -> None:
    project = FIXTURES / fixture
    code, out, err = run_cli("validate", str(project))
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    expected = where(project / file, needle, offset) + ": " + (f"{address}: " if address else "")
    lines = [line.strip() for line in err.splitlines()]
    matching = [line for line in lines if line.startswith(expected)]
    assert matching, f"no line starting with {expected!r} in:\n{err}"
    assert message in matching[0]


def test_duplicate_key_names_both_files(
    run_cli: Callable[..., tuple[int, str, str]], where: Callable[..., str]
) -> None:
    project = FIXTURES / "bad-duplicate-key"
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert f"first defined at {where(project / 'a.yaml', 'motor:')}" in err


def test_yaml_syntax_error_names_both_ends(
    run_cli: Callable[..., tuple[int, str, str]], where: Callable[..., str]
) -> None:
    project = FIXTURES / "bad-yaml-syntax"
    file = project / "assets.yaml"
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    # in words at the opening quote, with the line and a caret; the parser's own text follows
    opened = where(file, chr(34) + "Motor")
    assert f"{opened}: YAML syntax error: the string opened with \" on line 4 is never closed" in err
    assert '    4 |       name: "Motor\n      |             ^\n' in err
    assert "found unexpected end of stream" in err
    assert f"quoted scalar started at {opened}" in err


def test_template_error_names_template_line_not_rendered_line(
    run_cli: Callable[..., tuple[int, str, str]], where: Callable[..., str]
) -> None:
    project = FIXTURES / "bad-template-line"
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    # site-c is the third loop iteration: rendered line 11, template line 7
    assert where(project / "sites.yaml.j2", "type: {{", 6) in err
    assert "sites.yaml.j2:11:" not in err


def test_every_error_is_reported_not_only_the_first(
    run_cli: Callable[..., tuple[int, str, str]], where: Callable[..., str]
) -> None:
    project = FIXTURES / "bad-many-errors"
    file = project / "assets.yaml"
    code, _, err = run_cli("validate", str(project))
    assert code == 1
    assert "3 configuration errors" in err
    assert f"{where(file, 'type: NoSuchType', 6)}: insights_hub.assets.motor: unknown asset type" in err
    assert f"{where(file, 'colour: blue')}: insights_hub.assets.pump: unknown field 'colour'" in err
    assert (
        f"{where(file, 's1:')}: itwin_iot.connections.north.devices.d1.sensors.s1: "
        "a GENERIC_SENSOR_SDE sensor needs its metrics"
    ) in err


def test_literal_secret_is_not_echoed(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = run_cli("validate", str(FIXTURES / "bad-literal-secret"))
    assert code == 1
    assert "not-a-reference" not in out + err


def test_missing_directory_is_a_config_error(
    run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    code, _, err = run_cli("validate", str(tmp_path / "nope"))
    assert code == 1
    assert "not a project directory" in err


def test_unknown_env_lists_known_ones(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "environments"
    code, _, err = run_cli("validate", str(examples), "--env", "qa")
    assert code == 1
    assert "no env/qa.yaml" in err
    assert "prod, staging" in err


def test_malformed_var_option(run_cli: Callable[..., tuple[int, str, str]]) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "environments"
    code, _, err = run_cli("validate", str(examples), "--var", "novalue")
    assert code == 1
    assert "expected key=value" in err

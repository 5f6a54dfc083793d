"""`provision graph`: the fleet's diagrams parse, node ids are safe, a plan colours what changes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from mermaid_grammar import MermaidError, validate_flowchart

from provisioner.cli.main import cli
from provisioner.model import Action, Change
from provisioner.plan import Plan, write_plan
from provisioner.render.diagram import Diagram, DiagramNode, dependency_diagram, items_of, to_mermaid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_fleet_dependency_graph_is_valid_mermaid_with_every_resource() -> None:
    text = run("graph", str(EXAMPLES / "fleet"), "--format", "mermaid")
    counts = validate_flowchart(text)
    summary = run("validate", str(EXAMPLES / "fleet"))
    resources = int(re.search(r": (\d+) resources:", summary).group(1))  # type: ignore[union-attr]
    assert counts["nodes"] == resources
    assert counts["edges"] > resources // 2  # mappings wait for their asset and data sources


def test_fleet_hierarchy_is_valid_mermaid_and_puts_assets_under_their_parent() -> None:
    text = run("graph", str(EXAMPLES / "fleet"), "--view", "hierarchy")
    validate_flowchart(text)
    labels = dict(re.findall(r'^\s+(n\d+)\["([^"]*)"\]$', text, re.M))
    edges = re.findall(r"^\s+(n\d+) --> (n\d+)$", text, re.M)
    parent_of = {child: labels[parent] for parent, child in edges}
    by_label = {label: node for node, label in labels.items()}
    assert all("mappings." not in label for label in labels)
    pump = by_label["assets.site-hamburg-pump: Hamburg Pump 1"]
    assert parent_of[pump] == "assets.site-hamburg: Hamburg Pumping Station"
    sensors = [n for n, label in labels.items() if label.startswith("sensors.")]
    assert sensors and all(parent_of[n].startswith("devices.") for n in sensors)


def test_the_validator_rejects_what_mermaid_would_not_parse() -> None:
    good = 'flowchart LR\n  subgraph g0["x"]\n    n0["a"]\n  end\n'
    validate_flowchart(good)
    for bad in (good.replace('"a"', '"a"b"'), good.replace("  end\n", ""), good + "  n0 --> n9\n",
                good.replace("n0[", "end["), good + "  n0 -> n0\n", good.replace('"a"', '"<b>"')):
        with pytest.raises(MermaidError):
            validate_flowchart(bad)


def test_labels_are_escaped_so_any_address_stays_one_node() -> None:
    hostile = 'insights_hub.assets.x"]\n  end\n  click n0 "javascript:alert(1)" <b>'
    diagram = Diagram({hostile: DiagramNode(hostile, "asset", "create", hostile)}, (),
                      {"insights_hub": (hostile,)})
    assert validate_flowchart(to_mermaid(diagram))["nodes"] == 1


def test_a_plan_colours_the_changes_and_shows_deletes(tmp_path: Path) -> None:
    plan = Plan(changes=(
        Change(Action.UPDATE, "insights_hub.assets.plant", "insights_hub.asset", {"name": "A"},
               {"name": "B"}),
        Change(Action.DELETE, "insights_hub.assets.gone", "insights_hub.asset", {"name": "Gone"}, None),
    ))
    path = tmp_path / "plan.json"
    write_plan(plan, path, config_digest="sha256:x", stack="quickstart")
    text = run("graph", str(EXAMPLES / "quickstart"), "--plan", str(path))
    validate_flowchart(text)
    ids = dict((label, node) for node, label in re.findall(r'^\s+(n\d+)\["([^"]*)"\]$', text, re.M))
    classes = {name: members.split(",") for members, name in re.findall(r"^  class (\S+) (\w+)$", text, re.M)}
    assert classes["update"] == [ids["assets.plant"]]
    assert classes["delete"] == [ids["assets.gone"]]
    assert ids["assets.acme-motor"] in classes["unchanged"]


def test_dot_and_svg_formats(tmp_path: Path) -> None:
    dot = run("graph", str(EXAMPLES / "quickstart"), "--format", "dot")
    assert dot.startswith("digraph provision {") and dot.rstrip().endswith("}")
    assert dot.count("[label=") == 17
    svg = run("graph", str(EXAMPLES / "quickstart"), "--format", "svg")
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}g")) == 17


def test_dependency_edges_are_the_plan_graphs() -> None:
    from provisioner.config import load_project
    from provisioner.providers.insights_hub.desired import desired_resources

    resources = desired_resources(load_project(EXAMPLES / "quickstart").config)
    diagram = dependency_diagram(items_of(resources))
    assert ("insights_hub.aspect_types.Environment", "insights_hub.asset_types.Engine") in diagram.edges
    assert ("insights_hub.assets.plant", "insights_hub.assets.acme-motor") in diagram.edges

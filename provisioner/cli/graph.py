"""`provision graph`: the project's dependency graph or asset hierarchy as mermaid, dot or SVG."""

from __future__ import annotations

import click

from provisioner.cli.project_options import load_project_from_cli, project_options
from provisioner.plan import read_plan
from provisioner.providers.insights_hub.desired import desired_resources as hub_resources
from provisioner.providers.itwin_iot.desired import desired_resources as itwin_resources
from provisioner.render.diagram import (
    FORMATS,
    VIEWS,
    dependency_diagram,
    hierarchy_diagram,
    items_of,
    render_diagram,
)


@click.command()
@project_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True,
              help="mermaid (GitHub renders it in Markdown), dot (Graphviz) or a self-contained svg.")
@click.option("--view", "view", type=click.Choice(VIEWS), default="dependencies", show_default=True,
              help="What apply waits for, or what contains what (assets, agents, devices).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Colour the objects a saved plan (`provision plan --out FILE`) changes.")
def graph(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
          fmt: str, view: str, plan_file: str | None) -> None:
    """Draw a project offline: its dependency graph or its hierarchy (no API call)."""
    project = load_project_from_cli(directory, env, variables, var_files)
    resources = [*hub_resources(project.config), *itwin_resources(project.config)]
    plan = read_plan(plan_file).plan if plan_file else None
    items = items_of(resources, plan)
    diagram = hierarchy_diagram(items) if view == "hierarchy" else dependency_diagram(items)
    click.echo(render_diagram(diagram, fmt), nl=False)

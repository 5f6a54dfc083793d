"""`provision check`: a post-deploy gate that every agent and mapping delivers data."""

from __future__ import annotations

import sys

import click

from provisioner import event_loop
from provisioner.cli.project_options import load_project_from_cli, project_options
from provisioner.errors import ProvisionError
from provisioner.field.check import CheckReport, run_check
from provisioner.field.durations import duration_callback
from provisioner.field.inventory import read_inventory
from provisioner.field.itwin_data import itwin_data
from provisioner.field.render_check import render_check_json, render_check_markdown, render_check_text
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.session import open_session

EXIT_NOT_FLOWING = 2


@click.command()
@project_options
@click.option("--target", "targets", multiple=True, metavar="ADDR",
              help="Only agents, mappings and sensors matching ADDR (repeatable).")
@click.option("--since", "since", default="15m", show_default=True, callback=duration_callback,
              help="A value counts as delivered when it is at most this old.")
@click.option("--wait", "wait", default="0s", show_default=True, callback=duration_callback,
              help="Poll until everything flows or this time is up (a post-deploy gate).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format.")
def check(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
          targets: tuple[str, ...], since: float, wait: float, fmt: str) -> None:
    """Exit 0 when every managed agent is online, every mapping and event mapping delivers and every
    iTwin IoT sensor metric receives observations; 2 when something does not (each named with its
    likely cause); 1 on error."""
    project = load_project_from_cli(directory, env, variables, var_files)

    async def run() -> CheckReport:
        async with open_session(project.config) as session:
            if session.hub is None:
                raise ProvisionError("check needs platforms.insights_hub")
            inventory = await read_inventory(session, targets)
            inventory_calls = sum(session.api_calls().values())
            report = await run_check(FieldClient(session.hub), inventory, since_s=since, wait_s=wait,
                                     itwin=itwin_data(session, inventory.itwin_project))
            report.inventory_calls = inventory_calls
            return report

    report = event_loop.run(run())
    render = {"json": render_check_json, "markdown": render_check_markdown}.get(fmt, render_check_text)
    click.echo(render(report), nl=False)
    if not report.flowing:
        sys.exit(EXIT_NOT_FLOWING)

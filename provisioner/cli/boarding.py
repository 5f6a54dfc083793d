"""`provision boarding`: write each managed agent's boarding file for its device."""

from __future__ import annotations

from pathlib import Path

import click

from provisioner import event_loop
from provisioner.cli.project_options import load_project_from_cli, project_options
from provisioner.errors import ProvisionError
from provisioner.field.boarding import Written, secrets_dir, write_boarding_files
from provisioner.field.inventory import read_inventory
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.session import open_session


@click.command()
@project_options
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the boarding files (created with mode 0700; files are 0600).")
@click.option("--target", "targets", multiple=True, metavar="ADDR",
              help="Only agents matching ADDR (exact, dotted prefix or glob; repeatable).")
@click.option("--rotate", is_flag=True, help="Ask the service for new boarding configurations first.")
def boarding(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
             out: Path, targets: tuple[str, ...], rotate: bool) -> None:
    """Write SECRETS_DIR/<agent key>.json for every managed agent; print only paths and expiry."""
    project = load_project_from_cli(directory, env, variables, var_files)
    secrets_dir(out)  # bad --out fails before any API call

    async def run() -> list[Written]:
        async with open_session(project.config) as session:
            if session.hub is None:
                raise ProvisionError("boarding needs platforms.insights_hub")
            inventory = await read_inventory(session, targets)
            if not inventory.agents:
                raise ProvisionError("no managed agent matches; run `provision apply` first")
            return await write_boarding_files(FieldClient(session.hub), inventory.agents, out, rotate=rotate)

    for item in event_loop.run(run()):
        click.echo(f"{item.path}  expires {item.expiration}")

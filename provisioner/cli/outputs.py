"""`provision outputs`: server ids of every managed object by address."""

from __future__ import annotations

import click

from provisioner import event_loop
from provisioner.cli.project_options import load_project_from_cli, project_options
from provisioner.field.outputs import render_outputs, server_ids
from provisioner.session import open_session, read_live


@click.command()
@project_options
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
              help="Output format.")
def outputs(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
            fmt: str) -> None:
    """Print {address: server id} of every managed object (asset ids, agent ids, iTwin ids)."""
    project = load_project_from_cli(directory, env, variables, var_files)

    async def run() -> dict[str, str]:
        async with open_session(project.config) as session:
            return server_ids(await read_live(session))

    click.echo(render_outputs(event_loop.run(run()), fmt), nl=False)

"""`provision unlock`: free a stack's apply lease left behind by an apply that died elsewhere."""

from __future__ import annotations

import click

from provisioner import event_loop
from provisioner.apply.leases import LockControl
from provisioner.cli.output import no_color_option
from provisioner.cli.project_options import load_project_from_cli, project_options
from provisioner.session import open_session


@click.command()
@project_options
@click.option("--force", is_flag=True,
              help="Free it even while its holder renews it (only when that apply is known to be dead: "
                   "it stops writing at its next renewal).")
@no_color_option
def unlock(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
           force: bool) -> None:
    """Free the apply lease of the project's stack on every platform that has one.

    An apply that dies on this host frees its lease for the next apply at once, one that dies
    elsewhere when its lease expires; unlock frees an expired or dead holder's lease now, and
    refuses while a live apply renews it, unless --force.
    """
    project = load_project_from_cli(directory, env, variables, var_files)

    async def run() -> list[str]:
        lines = []
        async with open_session(project.config) as session:
            for name, provider in sorted(session.providers.items()):
                if isinstance(provider, LockControl):
                    held = await provider.unlock(force=force)
                    lines.append(f"{name}: unlocked stack {project.config.stack!r} (held by {held})"
                                 if held else f"{name}: stack {project.config.stack!r} was not locked")
        return lines

    for line in event_loop.run(run()):
        click.echo(line)

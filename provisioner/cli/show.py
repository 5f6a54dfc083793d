"""`provision show PLANFILE`: render a saved plan file as text, Markdown or JSON, offline."""

from __future__ import annotations

import sys

import click

from provisioner.cli.output import no_color_option
from provisioner.cli.plan import render
from provisioner.plan import read_plan


@click.command()
@click.argument("planfile", type=click.Path(dir_okay=False), metavar="PLANFILE")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format (the same as `provision plan --format`).")
@no_color_option
def show(planfile: str, fmt: str) -> None:
    """Show a plan file written by `provision plan --out` without reading the platforms.

    The plan goes to standard output; its stack and when it was planned to standard error.
    """
    saved = read_plan(planfile)
    click.echo(f"Plan of stack {saved.stack!r}, made {saved.created_at}.", err=True)
    click.echo(render(saved.plan, fmt, stream=sys.stdout), nl=False)

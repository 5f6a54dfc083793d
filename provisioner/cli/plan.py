"""`provision plan`: show what apply would change, in text, Markdown or JSON."""

from __future__ import annotations

import sys
from typing import TextIO

import click

from provisioner import event_loop
from provisioner.cli.interrupted import report_interrupted
from provisioner.cli.output import no_color_option, terminal_width, use_color
from provisioner.cli.project_options import load_project_from_cli, project_options, target_options
from provisioner.plan import Plan, write_plan
from provisioner.plan.planfile_target import apply_command, relative_project, target_of
from provisioner.plan.signature import sign_plan_file
from provisioner.render import render_json, render_markdown, render_text
from provisioner.session import config_digest, make_plan, open_session

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 2


def render(plan: Plan, fmt: str, *, stream: TextIO) -> str:
    """The plan in the requested format; text is coloured and fitted for a terminal `stream`."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=use_color(stream), width=terminal_width(stream))


@click.command()
@project_options
@target_options
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write a plan file that `provision apply FILE` executes exactly.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@no_color_option
def plan(directory: str, env: str | None, variables: tuple[str, ...], var_files: tuple[str, ...],
         targets: tuple[str, ...], excludes: tuple[str, ...], fmt: str, out: str | None,
         detailed_exitcode: bool) -> None:
    """Read the live platforms and show what apply would create, update, replace or delete."""
    project = load_project_from_cli(directory, env, variables, var_files)
    report_interrupted(directory)

    async def run() -> Plan:
        async with open_session(project.config) as session:
            result, _ = await make_plan(session, targets=targets, excludes=excludes)
            return result

    result = event_loop.run(run())
    click.echo(render(result, fmt, stream=sys.stdout), nl=False)
    if out is not None:
        target = target_of(project.config, env=env, project=relative_project(directory, out))
        write_plan(result, out, config_digest=config_digest(project.config), stack=project.config.stack,
                   target=target)
        sign_plan_file(out)  # with PROVISION_PLAN_KEY set: FILE.sig, which apply checks
        # the plan file names its project (relative to itself): the hint needs no --project
        click.echo(f"Plan saved to {out}; apply it with: {apply_command(out, env, variables, var_files)}",
                   err=True)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)

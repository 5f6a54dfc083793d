"""`provision apply`: make the live platforms match a project, or execute a saved plan exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioner import event_loop
from provisioner.apply.deadline import Deadline
from provisioner.apply.leases import set_lock_timeout
from provisioner.apply.progress import ProgressReporter
from provisioner.apply.report import Report
from provisioner.apply.rollout import GROUPINGS, RolloutPolicy
from provisioner.cli.interrupted import report_interrupted
from provisioner.cli.output import no_color_option, use_color
from provisioner.cli.plan import render
from provisioner.cli.project_options import load_project_from_cli, target_options
from provisioner.errors import ProvisionError
from provisioner.field.durations import duration_callback
from provisioner.pipeline import DEFAULT_PARALLELISM, ApplyOptions, apply_plan, gate
from provisioner.plan import Plan, SavedPlan, read_plan
from provisioner.plan.planfile_binding import check_target
from provisioner.plan.planfile_target import project_of, relative_project, target_of
from provisioner.plan.signature import verify_plan_file
from provisioner.render import plan_view, render_report_json, render_report_text
from provisioner.render.text import paint
from provisioner.session import config_digest, make_plan, open_session


def _confirm(plan: Plan, yes: bool) -> bool:
    """Ask before applying, unless --yes; without a terminal --yes is required."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise ProvisionError("apply needs --yes when it cannot ask (no terminal on standard input)")
    color = use_color(sys.stderr)
    destructive = [c.address for c in plan.changes if c.data_destructive]
    if destructive:
        click.echo(paint("These changes destroy time-series data:", "bold red", color), err=True)
        for address in destructive:
            click.echo(f"  - {address}", err=True)
    # after a long plan the headline has scrolled away: repeat it where the decision is made
    click.echo(paint(plan_view(plan).summary.headline, "bold", color), err=True)
    return click.confirm("Apply these changes?", default=False, err=True)


def _percent(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """`10%` or `10` -> 10.0 (0 to 100)."""
    if value is None:
        return None
    try:
        percent = float(value.strip().removesuffix("%"))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a percentage (e.g. 10%)", ctx=ctx, param=param) from None
    if not 0 <= percent <= 100:
        raise click.BadParameter(f"'{value}' must be between 0% and 100%", ctx=ctx, param=param)
    return percent


def _project_dir(planfile: str, header: SavedPlan, project_dir: str | None) -> str:
    """--project if given, else the project the plan file names (relative to the plan file)."""
    if project_dir is not None:
        return project_dir
    if header.target is None:
        raise ProvisionError(f"{planfile} names no project: pass --project DIR")
    directory = project_of(planfile, header.target)
    if not directory.is_dir():
        raise ProvisionError(f"{planfile} was made for the project {header.target.project!r} next to it, "
                             f"but {directory} is not a directory: pass --project DIR")
    return str(directory)


@click.command()
@click.argument("source", default=".", metavar="[DIR | PLANFILE]")
@click.option("--project", "project_dir", default=None, metavar="DIR",
              help="With a plan file: the project whose platform settings and credentials to use "
                   "(default: the project the plan file names, relative to the plan file).")
@click.option("--env", "env", default=None, metavar="NAME", help="Overlay env/NAME.yaml over the project.")
@click.option("--var", "variables", multiple=True, metavar="KEY=VALUE", help="Set a template variable.")
@click.option("--var-file", "var_files", multiple=True, metavar="FILE", help="Variables from a file.")
@target_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 256), default=DEFAULT_PARALLELISM, show_default=True,
              help="Changes in flight at once (each platform is also capped by its `concurrency`).")
@click.option("--force", is_flag=True, help="Apply even when updates/deletes exceed the safety thresholds.")
@click.option("--allow-data-loss", is_flag=True, help="Allow deletes and replaces that destroy time series.")
@click.option("--allow-destroy", "allow_destroy", multiple=True, metavar="ADDRESS",
              help="Allow deleting or replacing ADDRESS although its lifecycle.prevent_destroy says no.")
@click.option("--allow-duplicate-names", is_flag=True,
              help="Create objects although an unmanaged one with the same name and parent exists.")
@click.option("--delete-unmanaged-children", is_flag=True,
              help="Allow deletes that the service cascades to objects this stack did not create.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Format of the final report.")
@click.option("--lock-timeout", "lock_timeout", default="2m", show_default=True, callback=duration_callback,
              metavar="DURATION", help="Wait this long (30s, 5m) for another apply of the stack to "
                                       "finish, then fail naming it.")
@click.option("--max-duration", "max_duration", default=None, callback=duration_callback, metavar="DURATION",
              help="Start no change that cannot finish within this time (30m, 5h) from the command's "
                   "start; let those in flight finish, then exit 8 listing what remains for the next run.")
@click.option("--group-by", "group_by", type=click.Choice(GROUPINGS), default=None,
              help="Roll out in groups: `site` (a top-level asset with its subtree and agents, an iTwin "
                   "connection with its devices; the shared types go first).")
@click.option("--canary", type=click.IntRange(0), default=0, metavar="N",
              help="Apply the first N groups first; if any of them fails, start no other group.")
@click.option("--max-failures", "max_failures", default=None, callback=_percent, metavar="P%",
              help="Start no further group once more than P% of the groups have failed.")
@click.option("--wave-size", "wave_size", type=click.IntRange(1), default=1, show_default=True, metavar="N",
              help="Groups in flight at once after the canary.")
@no_color_option
def apply(source: str, project_dir: str | None, env: str | None, variables: tuple[str, ...],
          var_files: tuple[str, ...], targets: tuple[str, ...], excludes: tuple[str, ...], yes: bool,
          parallelism: int, force: bool, allow_data_loss: bool, allow_destroy: tuple[str, ...],
          allow_duplicate_names: bool, delete_unmanaged_children: bool, fmt: str, lock_timeout: float,
          max_duration: float | None, group_by: str | None, canary: int, max_failures: float | None,
          wave_size: int) -> None:
    """Plan and apply a project directory, or execute a saved plan file exactly.

    Exit codes: 0 applied (or nothing to do), 1 error before any write, 3 partially applied,
    4 stale saved plan, 5 unsafe plan, 6 authentication, 7 lock held, 8 deadline reached
    (`provision --help` lists all).

    Staged rollout: `--group-by site` applies site by site (`--wave-size` at once); `--canary`
    and `--max-failures` (either implies `--group-by site`) stop starting new groups on failures.
    The report lists the groups done, failed and not started.
    """
    deadline = Deadline.after(max_duration) if max_duration is not None else None  # from the start
    staged = group_by is not None or canary > 0 or max_failures is not None or wave_size > 1
    rollout = RolloutPolicy(group_by or "site", canary, max_failures, wave_size) if staged else None
    saved = Path(source).is_file()
    header = read_plan(source) if saved else None  # checked again below with the platforms' kinds
    directory = _project_dir(source, header, project_dir) if header is not None else source
    project = load_project_from_cli(directory, env, variables, var_files)
    if header is not None:  # before any client is opened: a refused plan reads and writes nothing
        check_target(source, header.target, header.config_digest,
                     target_of(project.config, env=env, project=relative_project(directory, source)),
                     config_digest(project.config), directory=directory)
    options = ApplyOptions(parallelism=parallelism, force=force, allow_data_loss=allow_data_loss,
                           allow_destroy=allow_destroy, allow_duplicate_names=allow_duplicate_names,
                           delete_unmanaged_children=delete_unmanaged_children,
                           journal_dir=Path(directory))  # the journal is DIR/.provision/journal.jsonl
    options.deadline, options.rollout = deadline, rollout
    journal, interrupted = report_interrupted(directory)

    async def run() -> Report | None:
        async with open_session(project.config) as session:
            set_lock_timeout(session.providers, lock_timeout, lambda note: click.echo(note, err=True))
            if saved:
                verify_plan_file(source)  # with PROVISION_PLAN_KEY set: FILE.sig must match
                kinds = {k for p in session.providers.values() for k in p.kinds}
                loaded = read_plan(source, platforms=set(session.providers), kinds=kinds)
                if loaded.stack != project.config.stack:
                    raise ProvisionError(f"{source} was planned for stack {loaded.stack!r}, "
                                         f"but {directory} is stack {project.config.stack!r}")
                the_plan, live = loaded.plan, None
                if targets or excludes:
                    raise ProvisionError("--target/--exclude apply when planning, not to a saved plan")
                done = journal.plan_applied(loaded.checksum)
                if done is not None:
                    click.echo(f"Nothing to do: already applied ({source} was applied completely at "
                               f"{done.time}); plan again for what changed since.", err=True)
                    return None
            else:
                the_plan, live = await make_plan(session, targets=targets, excludes=excludes)
                journal.reconcile(interrupted)  # this read decided what they left to do
                click.echo(render(the_plan, "text", stream=sys.stderr), nl=False, err=True)
            if not the_plan.has_changes:
                click.echo("Nothing to do.", err=True)
                return None
            gate(the_plan, options)
            if not saved and not _confirm(the_plan, yes):
                raise ProvisionError("apply cancelled; nothing was written")
            with ProgressReporter(len(the_plan.graph()), stream=sys.stderr, color=use_color(sys.stderr),
                                  estimate=the_plan.estimate) as progress:
                session.observe_quotas(progress)  # wait notices and the quota-paced ETA
                report = await apply_plan(session, the_plan, options, live=live, saved=saved,
                                          on_event=progress.on_event)
            if saved:  # it passed its precondition check and ran
                journal.reconcile(interrupted)
                if report.ok:
                    journal.record_plan_applied(loaded.checksum)
            return report

    report = event_loop.run(run())
    if report is None:
        return
    click.echo(render_report_json(report) if fmt == "json" else render_report_text(report), nl=False)
    if report.exit_code():
        sys.exit(report.exit_code())

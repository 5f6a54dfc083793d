"""`provision simulate`: field agents from boarding files, uploading plausible values."""

from __future__ import annotations

from pathlib import Path

import click
import httpx

from provisioner import event_loop
from provisioner.errors import ProvisionError
from provisioner.field.durations import duration_callback
from provisioner.field.simulate import AgentRun
from provisioner.field.simulate import simulate as run_simulation
from provisioner.render.view import plural


@click.command()
@click.argument("secrets_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--duration", "duration", default="30s", callback=duration_callback, show_default=True,
              help="How long to upload (e.g. 30s, 2m).")
@click.option("--interval", "interval", default="1s", callback=duration_callback, show_default=True,
              help="Time between two uploads of one agent.")
@click.option("--seed", type=int, default=None, help="Seed the value generator (repeatable runs).")
@click.option("--agent", "only", multiple=True, metavar="KEY", help="Only this agent (repeatable).")
@click.option("--omit", "omit", multiple=True, metavar="KEY:DATA_POINT",
              help="A data point the agent never sends, to rehearse what check reports (repeatable).")
def simulate(secrets_dir: Path, duration: float, interval: float, seed: int | None,
             only: tuple[str, ...], omit: tuple[str, ...]) -> None:
    """Onboard every agent of SECRETS_DIR (or reuse its saved registration) and upload a typed value
    for every data point of its data source configuration each interval."""
    skipped: dict[str, set[str]] = {}
    for item in omit:
        key, sep, point = item.partition(":")
        if not sep or not key or not point:
            raise click.BadParameter(f"'{item}' is not KEY:DATA_POINT", param_hint="--omit")
        skipped.setdefault(key, set()).add(point)
    try:
        runs: list[AgentRun] = event_loop.run(
            run_simulation(secrets_dir, duration_s=duration, interval_s=interval, seed=seed, only=only,
                           omit=skipped))
    except httpx.TransportError as exc:
        reason = exc.__class__.__name__
        raise ProvisionError(f"cannot reach the service of a boarding file ({reason})") from None
    for run in runs:
        how = "onboarded" if run.registered else "reused its registration"
        click.echo(f"{run.key}: {how}; {plural(run.uploads, 'upload')} of {plural(run.points, 'data point')}")
    total = sum(len(r.sent) for r in runs)
    click.echo(f"{plural(len(runs), 'agent')} sent {plural(total, 'value')}")

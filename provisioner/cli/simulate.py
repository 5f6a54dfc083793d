"""`provision simulate`: field agents from boarding files, uploading plausible values; with
`--project`, also the project's iTwin IoT observations and its agents' mapped events."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click
import httpx

from provisioner import event_loop
from provisioner.cli.project_options import load_project_from_cli
from provisioner.errors import ProvisionError
from provisioner.field.durations import duration_callback
from provisioner.field.inventory import read_inventory
from provisioner.field.itwin_data import itwin_data
from provisioner.field.simulate import AgentRun, ProjectFeed, project_feed
from provisioner.field.simulate import simulate as run_simulation
from provisioner.render.view import plural
from provisioner.session import open_session


def _omissions(items: tuple[str, ...]) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """--omit values as (agent key -> data points, sensor address -> metrics, event mapping addresses)."""
    points: dict[str, set[str]] = defaultdict(set)
    metrics: dict[str, set[str]] = defaultdict(set)
    events: set[str] = set()
    for item in items:
        if item.startswith("insights_hub.") and ".event_mappings." in item:
            events.add(item)
            continue
        if item.startswith("itwin_iot."):
            sensor, sep, metric = item.rpartition(":")
            if sep and sensor and metric:
                metrics[sensor].add(metric)
            else:
                metrics[item].add("*")
            continue
        key, sep, point = item.partition(":")
        if not sep or not key or not point:
            raise click.BadParameter(f"'{item}' is not KEY:DATA_POINT, SENSOR[:METRIC] or an event "
                                     "mapping address", param_hint="--omit")
        points[key].add(point)
    return dict(points), dict(metrics), events


@click.command()
@click.argument("secrets_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--duration", "duration", default="30s", callback=duration_callback, show_default=True,
              help="How long to upload (e.g. 30s, 2m).")
@click.option("--interval", "interval", default="1s", callback=duration_callback, show_default=True,
              help="Time between two uploads of one agent.")
@click.option("--seed", type=int, default=None, help="Seed the value generator (repeatable runs).")
@click.option("--agent", "only", multiple=True, metavar="KEY", help="Only this agent (repeatable).")
@click.option("--project", "project_dir", default=None, metavar="DIR",
              help="Also upload observations for every metric of the project's managed iTwin IoT "
                   "sensors each interval, and events for its agents' event mappings.")
@click.option("--env", "env", default=None, metavar="NAME", help="With --project: overlay env/NAME.yaml.")
@click.option("--event-every", "event_every", type=click.IntRange(min=1), default=10, show_default=True,
              help="With --project: send one event per event mapping every Nth interval (from the first).")
@click.option("--omit", "omit", multiple=True, metavar="WHAT",
              help="Never send it, to rehearse what check reports (repeatable): KEY:DATA_POINT of an "
                   "agent, SENSOR_ADDRESS[:METRIC] or an event mapping address (with --project).")
def simulate(secrets_dir: Path, duration: float, interval: float, seed: int | None,
             only: tuple[str, ...], project_dir: str | None, env: str | None, event_every: int,
             omit: tuple[str, ...]) -> None:
    """Onboard every agent of SECRETS_DIR (or reuse its saved registration) and upload a typed value
    for every data point of its data source configuration each interval."""
    points, metrics, events = _omissions(omit)
    if (metrics or events) and project_dir is None:
        raise click.BadParameter("sensor and event mapping omissions need --project", param_hint="--omit")
    project = load_project_from_cli(project_dir, env, (), ()) if project_dir is not None else None

    async def run() -> tuple[list[AgentRun], ProjectFeed | None]:
        if project is None:
            return await run_simulation(secrets_dir, duration_s=duration, interval_s=interval, seed=seed,
                                        only=only, omit=points), None
        async with open_session(project.config) as session:
            inventory = await read_inventory(session)
            feed = project_feed(inventory, itwin_data(session, inventory.itwin_project),
                                event_every=event_every, omit_metrics=metrics, omit_events=events)
            runs = await run_simulation(secrets_dir, duration_s=duration, interval_s=interval, seed=seed,
                                        only=only, omit=points, feed=feed)
            return runs, feed

    try:
        runs, feed = event_loop.run(run())
    except httpx.TransportError as exc:
        reason = exc.__class__.__name__
        raise ProvisionError(f"cannot reach the service of a boarding file ({reason})") from None
    for r in runs:
        how = "onboarded" if r.registered else "reused its registration"
        extra = f"; {plural(len(r.events), 'event')}" if feed is not None else ""
        uploads = f"{plural(r.uploads, 'upload')} of {plural(r.points, 'data point')}"
        click.echo(f"{r.key}: {how}; {uploads}{extra}")
    total = sum(len(r.sent) for r in runs)
    click.echo(f"{plural(len(runs), 'agent')} sent {plural(total, 'value')}")
    if feed is not None:
        sensors = len({o.sensor for o in feed.sent})
        values = sum(len(o.values) for o in feed.sent)
        click.echo(f"iTwin IoT: {plural(sensors, 'sensor')} sent {plural(values, 'observed value')} "
                   f"in {plural(feed.upload_requests, 'upload')}")

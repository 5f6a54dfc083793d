"""`provision import`: write a project from live objects, adopting them without re-creating anything."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from provisioner import event_loop
from provisioner.errors import ProvisionError
from provisioner.render.view import plural


@click.command("import")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option("--from", "source", type=click.Path(file_okay=False, exists=True), default=None,
              help="Read stack and platforms from this project's provision.yaml (nothing else).")
@click.option("--env", "env", default=None, metavar="NAME", help="With --from: overlay env/NAME.yaml.")
@click.option("--stack", "stack", default=None, help="Stack of the new project (default: that of --from).")
@click.option("--tenant", default=None, help="Insights Hub tenant (instead of --from).")
@click.option("--gateway", default=None, help="Insights Hub gateway URL.")
@click.option("--region", default=None, help="Insights Hub region (instead of --gateway).")
@click.option("--itwin-url", default=None, help="iTwin IoT URL (instead of --from).")
@click.option("--itwin-project", default=None, help="iTwin IoT project id.")
@click.option("--platform", type=click.Choice(["insights_hub", "itwin_iot"]), default=None,
              help="Import one platform only.")
@click.option("--select", "selects", multiple=True, metavar="FILTER",
              help="kind:KIND, asset:KEY|ID (subtree), connection:NAME|KEY|ID, name:PREFIX, id:PREFIX "
                   "(repeatable; union).")
@click.option("--layout", type=click.Choice(["kind", "site"]), default="kind", show_default=True,
              help="One file per kind, or one per top-level asset subtree / connection.")
@click.option("--force", is_flag=True, help="Write into a directory that already holds YAML files.")
def import_(out: str, source: str | None, env: str | None, stack: str | None, tenant: str | None,
            gateway: str | None, region: str | None, itwin_url: str | None, itwin_project: str | None,
            platform: str | None, selects: tuple[str, ...], layout: str, force: bool) -> None:
    """Read live objects and write a project in the configuration language that adopts them."""
    from provisioner.importer import ImportOptions, Selection, import_project, parse_selectors
    from provisioner.importer.source import check_platforms, from_flags, from_project, merge_patch

    platforms: dict[str, object] = {}
    if source is not None:
        source_stack, platforms = from_project(Path(source), env)
        stack = stack or source_stack
    platforms = merge_patch(platforms, from_flags(tenant=tenant, gateway=gateway, region=region,
                                                  itwin_url=itwin_url, itwin_project=itwin_project))
    if not stack:
        raise ProvisionError("give --stack NAME (the stack that will own the imported objects)")
    options = ImportOptions(
        out=Path(out), stack=stack, platforms=check_platforms(platforms, platform),
        selection=Selection(parse_selectors(selects)), layout="site" if layout == "site" else "kind",
        command=shlex.join(["provision", "import", *sys.argv[2:]]) if sys.argv[1:2] == ["import"]
        else "provision import", force=force)
    result = event_loop.run(import_project(options))
    written = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in result.counts.items()) or "nothing"
    calls = ", ".join(f"{p}: {n}" for p, n in result.api_calls.items())
    click.echo(f"Imported {written} into {out} ({plural(len(result.files), 'file')}).")
    click.echo(f"Took {result.seconds:.2f}s and {plural(result.total_calls, 'API call')} ({calls}).")
    skipped = [f for f in result.findings if f.severity == "skipped"]
    notes = [f for f in result.findings if f.severity == "note"]
    for title, group in (("Not imported (the configuration language cannot express them)", skipped),
                         ("Notes", notes)):
        if group:
            click.echo(f"{title}: {len(group)}")
            for finding in group[:50]:
                click.echo(f"  - {finding}")
            if len(group) > 50:
                click.echo(f"  … and {len(group) - 50} more in {Path(out) / 'import-report.txt'}")
    click.echo(f"Next: provision validate {out} && provision plan {out}")

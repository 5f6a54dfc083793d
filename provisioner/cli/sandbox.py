"""`provision sandbox`: serve the local emulator of both vendors' APIs with uvicorn on loopback."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Literal

import click

from provisioner.errors import ProvisionError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _admin_credentials(value: str) -> Literal["service", "service+app", "none"]:
    if value == "service+app":
        return "service+app"
    return "none" if value == "none" else "service"


def _write_status(value: str) -> Literal[404, 403, 400]:
    if value == "403":
        return 403
    return 400 if value == "400" else 404


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback only).")
@click.option("--port", default=8700, show_default=True, type=int, help="TCP port.")
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file that keeps all state across restarts (written atomically).",
)
@click.option("--latency-ms", default=0.0, show_default=True, type=float, help="Added latency per request.")
@click.option("--faults", default="", help="Fault spec, e.g. '429=5%,503=2%,reset=1%,commit-fail=2%@/api/*'.")
@click.option(
    "--quota",
    type=click.Choice(["vendor", "none"]),
    default="none",
    show_default=True,
    help="Per-endpoint rate quotas: the vendor's documented ones, or none.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(1, 100_000),
    default=1.0,
    show_default=True,
    help="Run quota windows and Retry-After N times faster (1 = real time), so a quota-bound apply "
    "of hours is measured in minutes; clients pace alike with `quota_time_scale: N`.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for ids and faults.")
@click.option("--token-lifetime", default=1800, show_default=True, type=int, help="Token lifetime (s).")
@click.option("--tenant", default="sandbox", show_default=True, help="Insights Hub tenant name.")
@click.option("--client-id", default="sandbox-client", show_default=True, help="Service credential id.")
@click.option(
    "--client-secret", default="sandbox-secret", show_default=True, help="Service credential secret."
)
@click.option("--app-client-id", default="sandbox-app-client", show_default=True, help="App credential id.")
@click.option(
    "--app-client-secret", default="sandbox-app-secret", show_default=True, help="App credential secret."
)
@click.option("--itwin-project", default="sandbox-project", show_default=True, help="iTwin project id.")
@click.option("--itwin-api-key", default="sandbox-key", show_default=True, help="iTwin IoT API key.")
@click.option(
    "--itwin-node-props-at-creation",
    is_flag=True,
    help="iTwin integrate applies node-level refId/props when creating a node (an inference; by default "
    "they are ignored and the service names the node, as the vendor's example shows).",
)
@click.option(
    "--itwin-node-updates/--no-itwin-node-updates",
    default=True,
    show_default=True,
    help="iTwin integrate accepts node-level changeState 'update' with props (undocumented, an "
    "inference); --no-itwin-node-updates refuses it with 422.",
)
@click.option(
    "--boarding-delay",
    default=0.2,
    show_default=True,
    type=float,
    help="Seconds before an agent's boarding configuration has content.",
)
@click.option(
    "--delete-guard-status",
    type=click.Choice(["400", "409"]),
    default="400",
    show_default=True,
    help="Status of refused deletions (type in use, asset with children or locks).",
)
@click.option(
    "--missing-if-match-status",
    type=click.Choice(["400", "412"]),
    default="400",
    show_default=True,
    help="Asset Management status when a mandatory If-Match is missing.",
)
@click.option(
    "--asset-list-order",
    type=click.Choice(["name", "creation"]),
    default="name",
    show_default=True,
    help="Asset list order without `sort` (a real tenant: name, then id).",
)
@click.option(
    "--asset-delete",
    type=click.Choice(["soft", "hard"]),
    default="soft",
    show_default=True,
    help="soft: deleted assets keep a `deleted` timestamp, readable by admin tokens; hard: removed.",
)
@click.option(
    "--admin-credentials",
    type=click.Choice(["service", "service+app", "none"]),
    default="service",
    show_default=True,
    help="Whose tokens may read soft-deleted assets.",
)
@click.option(
    "--deleted-asset-write-status",
    type=click.Choice(["404", "403", "400"]),
    default="404",
    show_default=True,
    help="Status of a PUT/PATCH/DELETE on a soft-deleted asset.",
)
@click.option(
    "--content-type-check",
    type=click.Choice(["strict", "lenient"]),
    default="strict",
    show_default=True,
    help="strict: 415 unless the body has the media type the spec declares.",
)
@click.option(
    "--event-mapping-patch-media",
    type=click.Choice(["json", "any"]),
    default="json",
    show_default=True,
    help="json: the eventMappings PATCH takes only application/json (its spec); any: also merge-patch.",
)
@click.option(
    "--explicit-nulls/--no-explicit-nulls",
    default=True,
    show_default=True,
    help="Unset asset fields (externalId, location, deleted, ...) as explicit nulls, like real responses.",
)
@click.option(
    "--root-aspects/--no-root-aspects",
    default=True,
    show_default=True,
    help="The root asset carries a built-in aspect (core.tenantinfo), as the vendor SDK's specs expect.",
)
@click.option(
    "--offboard-delay",
    default=0.3,
    show_default=True,
    type=float,
    help="Seconds an offboarding takes (agent and asset stay locked meanwhile; the SDK waits 5 s).",
)
@click.option(
    "--offboard-status",
    type=click.Choice(["offboarding", "spec"]),
    default="offboarding",
    show_default=True,
    help="offboarding: OFFBOARDING then OFFBOARDED; spec: only the OpenAPI enum (NOT_ONBOARDED).",
)
@click.option(
    "--agent-online-window",
    default=60.0,
    show_default=True,
    type=float,
    help="An onboarded agent is ONLINE while it got a token or uploaded within this many seconds.",
)
@click.option(
    "--boarding-renewal",
    type=click.Choice(["post", "none"]),
    default="post",
    show_default=True,
    help="post: POST .../boarding/configuration issues a new initial access token; none: 405.",
)
@click.option("--max-body-bytes", type=click.IntRange(1), default=10 * 1024 * 1024, show_default=True,
              help="Larger request bodies are answered 413 (the vendors document a 413, not its size).")
@click.option("--max-json-depth", type=click.IntRange(1, 1000), default=64, show_default=True,
              help="Request JSON nesting deeper than this is answered 400.")
@click.option("--allow-remote", is_flag=True, help="Allow binding a non-loopback interface.")
def sandbox(
    host: str,
    port: int,
    state: Path | None,
    latency_ms: float,
    faults: str,
    quota: str,
    time_scale: float,
    seed: int,
    token_lifetime: int,
    tenant: str,
    client_id: str,
    client_secret: str,
    app_client_id: str,
    app_client_secret: str,
    itwin_project: str,
    itwin_api_key: str,
    itwin_node_props_at_creation: bool,
    itwin_node_updates: bool,
    boarding_delay: float,
    delete_guard_status: str,
    missing_if_match_status: str,
    asset_list_order: str,
    asset_delete: str,
    admin_credentials: str,
    deleted_asset_write_status: str,
    content_type_check: str,
    event_mapping_patch_media: str,
    explicit_nulls: bool,
    root_aspects: bool,
    offboard_delay: float,
    offboard_status: str,
    agent_online_window: float,
    boarding_renewal: str,
    max_body_bytes: int,
    max_json_depth: int,
    allow_remote: bool,
) -> None:
    """Run the local emulator of the Insights Hub and iTwin IoT APIs."""
    import uvicorn

    from provisioner import event_loop
    from provisioner.gc_tuning import settle_long_lived_heap
    from provisioner.sandbox import Sandbox, SandboxSettings
    from provisioner.sandbox.faults import FaultSpecError
    from provisioner.sandbox.middleware import QuietFaults
    from provisioner.sandbox.store import StateFileError

    if not _is_loopback(host) and not allow_remote:
        raise ProvisionError(
            f"refusing to bind {host}: the sandbox has no real security; use a loopback "
            "address or pass --allow-remote",
            exit_code=2,
        )
    settings = SandboxSettings(
        host=host,
        port=port,
        state_file=state,
        latency_ms=latency_ms,
        faults=faults,
        quota="vendor" if quota == "vendor" else "none",
        time_scale=time_scale,
        seed=seed,
        token_lifetime_s=token_lifetime,
        tenant=tenant,
        client_id=client_id,
        client_secret=client_secret,
        app_client_id=app_client_id,
        app_client_secret=app_client_secret,
        itwin_project=itwin_project,
        itwin_api_key=itwin_api_key,
        itwin_node_props_at_creation=itwin_node_props_at_creation,
        itwin_node_updates=itwin_node_updates,
        boarding_delay_s=boarding_delay,
        delete_guard_status=409 if delete_guard_status == "409" else 400,
        missing_if_match_status=412 if missing_if_match_status == "412" else 400,
        asset_list_order="creation" if asset_list_order == "creation" else "name",
        asset_delete_mode="hard" if asset_delete == "hard" else "soft",
        admin_credentials=_admin_credentials(admin_credentials),
        deleted_asset_write_status=_write_status(deleted_asset_write_status),
        content_type_check="lenient" if content_type_check == "lenient" else "strict",
        event_mapping_patch_media="any" if event_mapping_patch_media == "any" else "json",
        explicit_nulls=explicit_nulls,
        root_aspects=root_aspects,
        offboard_delay_s=offboard_delay,
        offboard_status_mode="spec" if offboard_status == "spec" else "offboarding",
        agent_online_window_s=agent_online_window,
        boarding_renewal="none" if boarding_renewal == "none" else "post",
        max_body_bytes=max_body_bytes,
        max_json_depth=max_json_depth,
    )
    try:
        instance = Sandbox(settings)
    except StateFileError as exc:
        raise ProvisionError(str(exc), exit_code=3) from None
    except FaultSpecError as exc:
        raise ProvisionError(f"--faults: {exc}", exit_code=2) from None
    url = settings.base_url
    lines = [
        f"provision sandbox listening on {url}",
        "Insights Hub",
        f"  gateway URL        {url}",
        f"  tenant             {tenant}",
        f"  service creds      {client_id} / {client_secret}   (POST {url}/oauth/token)",
        f"  app creds          {app_client_id} / {app_client_secret}   app {settings.app_name} "
        f"{settings.app_version}   (POST {url}/api/technicaltokenmanager/v3/oauth/token)",
        "iTwin IoT",
        f"  URL                {url}",
        f"  project            {itwin_project}",
        f"  API key            {itwin_api_key}",
    ]
    ims = instance.itwin.settings
    lines.append(
        f"  IMS client creds   {ims.ims_client_id} / {ims.ims_client_secret}   (POST {url}/connect/token)"
    )
    if itwin_node_props_at_creation:
        lines.append("  node props         applied at creation (--itwin-node-props-at-creation)")
    if not itwin_node_updates:
        lines.append("  node updates       refused with 422 (--no-itwin-node-updates)")
    scale = f" (time scale {time_scale:g}x)" if time_scale != 1 else ""
    lines += [
        f"Admin                {url}/_sandbox/(reset|seed|snapshot|counts|faults|quota|latency)",
        f"State                {state if state else 'in memory (lost on exit)'}",
        f"Faults               {faults or 'off'};  quota {quota}{scale};  latency {latency_ms:g} ms;  "
        f"seed {seed}",
    ]
    click.echo("\n".join(lines), nl=True)
    # this process holds only the emulator: its state is long-lived (see gc_tuning)
    instance.after_load = settle_long_lived_heap
    settle_long_lived_heap()
    config = uvicorn.Config(
        instance.app, host=host, port=port, log_level="warning", lifespan="on", access_log=False,
        loop=event_loop.name(),
    )
    logging.getLogger("uvicorn.error").addFilter(QuietFaults())  # an injected drop is one line
    uvicorn.Server(config).run()

"""Where an import reads from: `stack` and `platforms` of an existing project, or flags.

Only `provision.yaml` (and, with `--env NAME`, the `platforms` and `stack` of `env/NAME.yaml`)
is read: the rest of that project does not matter and need not be valid. Secrets stay
`${env:NAME}` references exactly as written there; flags write the documented default
references (`MDSP_CLIENT_ID`, `MDSP_CLIENT_SECRET`, `ITWIN_IOT_API_KEY`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from provisioner.config.schema import Platforms
from provisioner.errors import ProvisionError

PROJECT_FILE = "provision.yaml"
IH_AUTH = {"client_id": "${env:MDSP_CLIENT_ID}", "client_secret": "${env:MDSP_CLIENT_SECRET}"}
ITWIN_AUTH = {"api_key": "${env:ITWIN_IOT_API_KEY}"}

JSONDict = dict[str, Any]


def _read(path: Path) -> JSONDict:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ProvisionError(f"{path}: cannot read it: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProvisionError(f"{path}: expected a mapping at the top")
    return data


def merge_patch(base: Any, patch: Any) -> Any:
    """RFC 7396: mappings merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def from_project(directory: Path, env: str | None = None) -> tuple[str | None, JSONDict]:
    """(stack, platforms as written) of the project in `directory`."""
    main = _read(directory / PROJECT_FILE)
    if env is not None:
        main = merge_patch(main, {k: v for k, v in _read(directory / "env" / f"{env}.yaml").items()
                                  if k in ("stack", "platforms")})
    platforms = main.get("platforms") or {}
    if not isinstance(platforms, dict):
        raise ProvisionError(f"{directory / PROJECT_FILE}: platforms must be a mapping")
    stack = main.get("stack")
    return (str(stack) if stack is not None else None), platforms


def from_flags(*, tenant: str | None, gateway: str | None, region: str | None, itwin_url: str | None,
               itwin_project: str | None) -> JSONDict:
    """Platform settings from command-line flags (credentials as the default env references)."""
    platforms: JSONDict = {}
    if tenant or gateway or region:
        hub: JSONDict = {"tenant": tenant}
        hub.update({"gateway": gateway} if gateway else {"region": region})
        platforms["insights_hub"] = {**hub, "auth": dict(IH_AUTH)}
    if itwin_url or itwin_project:
        platforms["itwin_iot"] = {"url": itwin_url, "project": itwin_project, "auth": dict(ITWIN_AUTH)}
    return platforms


def check_platforms(platforms: JSONDict, only: str | None = None) -> JSONDict:
    """The platform settings to read and to write, validated; `only` keeps one platform."""
    if only is not None:
        if only not in platforms:
            raise ProvisionError(f"--platform {only}: no settings for it (give --from DIR or its flags)")
        platforms = {only: platforms[only]}
    kept = {k: v for k, v in platforms.items() if k in ("insights_hub", "itwin_iot") and v is not None}
    if not kept:
        raise ProvisionError("no platform to import from: give --from DIR, or --tenant with "
                             "--gateway/--region, or --itwin-url with --itwin-project")
    try:
        Platforms.model_validate(kept)
    except ValidationError as exc:
        problems = "; ".join(f"platforms.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ProvisionError(f"bad platform settings: {problems}") from None
    return kept

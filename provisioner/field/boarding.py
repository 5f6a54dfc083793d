"""`provision boarding`: one boarding file per managed agent, exactly the vendor's format
(`{content: {baseUrl, iat, clientCredentialProfile, clientId, tenant}, expiration}`, what
mindconnect-nodejs `MindConnectAgent` takes as is), mode 0600 in a 0700 folder. The initial
access token inside is a secret: nothing here prints, logs or raises with it."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.errors import ProvisionError
from provisioner.field.inventory import AgentItem
from provisioner.providers.insights_hub.field_client import FieldClient

FILE_MODE = 0o600
DIR_MODE = 0o700
CONTENT_KEYS = ("baseUrl", "iat", "clientCredentialProfile", "clientId", "tenant")


@dataclass(frozen=True)
class Written:
    agent: AgentItem
    path: Path
    expiration: str


def secrets_dir(path: Path) -> Path:
    """Create (or tighten) the folder to mode 0700; ProvisionError when that is impossible."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        path.chmod(DIR_MODE)
    except OSError as exc:
        raise ProvisionError(f"{path}: cannot use it as the secrets folder ({exc.strerror})") from None
    return path


def write_secret_file(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically with mode 0600 from the first byte (never world-readable)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    tmp.replace(path)
    path.chmod(FILE_MODE)


def _usable(body: dict[str, Any]) -> bool:
    content = body.get("content")
    return isinstance(content, dict) and all(content.get(k) for k in CONTENT_KEYS)


async def fetch_configuration(
    field: FieldClient, agent: AgentItem, *, rotate: bool, wait_s: float = 30.0, poll_s: float = 0.5
) -> dict[str, Any]:
    """The agent's boarding configuration; generated asynchronously, so poll until it has content."""
    body = await (field.renew_boarding_configuration(agent.agent_id) if rotate
                  else field.hub.get_boarding_configuration(agent.agent_id))
    waited = 0.0
    while not _usable(body):
        if waited >= wait_s:
            raise ProvisionError(f"{agent.address}: the service has not generated a boarding configuration "
                                 f"after {wait_s:.0f} s; try again later")
        await asyncio.sleep(poll_s)
        waited += poll_s
        body = await field.hub.get_boarding_configuration(agent.agent_id)
    content = body["content"]
    return {"content": {k: content[k] for k in CONTENT_KEYS}, "expiration": body.get("expiration")}


async def write_boarding_files(
    field: FieldClient, agents: list[AgentItem], out: Path, *, rotate: bool
) -> list[Written]:
    """Fetch (or renew) and write every agent's boarding file; returns what was written."""
    folder = secrets_dir(out)
    configs = await asyncio.gather(*(fetch_configuration(field, a, rotate=rotate) for a in agents))
    written = []
    for agent, config in zip(agents, configs, strict=True):
        path = folder / f"{agent.key}.json"
        try:
            write_secret_file(path, config)
        except OSError as exc:
            raise ProvisionError(f"{path}: cannot write the boarding file ({exc.strerror})") from None
        written.append(Written(agent, path, str(config.get("expiration") or "unknown")))
    return written

"""`provision outputs`: the server id of every managed object by address, for pipelines."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

from ruamel.yaml import YAML

from provisioner.model import LiveState


def server_ids(live: Mapping[str, LiveState]) -> dict[str, str]:
    """address -> server id of every managed object, sorted by address."""
    ids = {address: res.server_id for state in live.values() for address, res in state.managed.items()}
    return dict(sorted(ids.items()))


def render_outputs(ids: Mapping[str, str], fmt: str) -> str:
    if fmt == "yaml":
        stream = io.StringIO()
        yaml = YAML()
        yaml.default_flow_style = False
        yaml.dump(dict(ids), stream)
        return stream.getvalue()
    return json.dumps(dict(ids), indent=2) + "\n"

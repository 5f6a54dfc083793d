"""Integration id grammar: server-generated 6-uppercase-hex segments under their parent's path."""

from __future__ import annotations

import random
from collections.abc import Container


def new_segment(rng: random.Random, prefix_taken: Container[str], build: str) -> str:
    """A random 24-bit hex segment whose full id (`build` with `{}` filled) is not yet taken."""
    while True:
        segment = f"{rng.getrandbits(24):06X}"
        if build.format(segment) not in prefix_taken:
            return segment


def node_template() -> str:
    return "/api/{}/node"


def device_template(node_id: str) -> str:
    return node_id.replace("{", "{{").replace("}", "}}") + "/dynamic/{}/device"


def sensor_template(device_id: str) -> str:
    return device_id.replace("{", "{{").replace("}", "}}") + "/{}/sensor"

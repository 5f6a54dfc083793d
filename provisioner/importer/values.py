"""Small conversions from live values to what reads best in YAML while comparing equal."""

from __future__ import annotations

import math
from typing import Any

JSONDict = dict[str, Any]


def typed(value: Any) -> Any:
    """A value stored as text (`"42"`, `"1.5"`, `"true"`) as the YAML scalar that prints back the same.

    The service keeps asset variable values and defaults as text and the provisioner compares
    them as text, so a number is written as a number only when it renders to exactly that text.
    """
    if not isinstance(value, str):
        return value
    if value in ("true", "false"):
        return value == "true"
    try:
        number = int(value)
    except ValueError:
        pass
    else:
        return number if str(number) == value else value
    try:
        real = float(value)
    except ValueError:
        return value
    return real if math.isfinite(real) and repr(real) == value else value


def compact(body: JSONDict) -> JSONDict:
    """Drop keys whose value is None or an empty dict/list (the configuration's defaults)."""
    return {k: v for k, v in body.items() if v is not None and v != {} and v != []}

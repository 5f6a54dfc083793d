"""A precondition for objects the service gives no etag: a hash of their canonical JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def fingerprint(obj: Any) -> str:
    """`sha256:<32 hex>` of `obj` as JSON with sorted keys (orjson: a plan hashes thousands of
    objects; the stdlib encoder was most of that). Values orjson cannot encode (integers beyond
    64 bits, keys that are not strings) go through the stdlib encoder instead."""
    try:
        data = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        data = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]

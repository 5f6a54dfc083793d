"""Optional authentication of plan files: an HMAC-SHA256 with a key from the environment.

The plan file's checksum only catches accidents: anyone can recompute it. With
`PROVISION_PLAN_KEY` set, `plan --out FILE` also writes `FILE.sig` (`hmac-sha256:<hex>` over the
file's bytes), and `apply FILE` refuses a file whose signature is missing or wrong before it is
parsed. Without the key nothing is signed or checked (apply still re-derives every safety field
from the configuration and the live state). The key is never printed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from provisioner.errors import ProvisionError

KEY_VARIABLE = "PROVISION_PLAN_KEY"
_PREFIX = "hmac-sha256:"


class PlanSignatureError(ProvisionError):
    """A plan file that the configured key did not sign; nothing was written."""


def _key(environ: Mapping[str, str]) -> bytes | None:
    value = environ.get(KEY_VARIABLE)
    return value.encode() if value else None


def signature_path(plan_path: Path | str) -> Path:
    path = Path(plan_path)
    return path.with_name(path.name + ".sig")


def _mac(key: bytes, data: bytes) -> str:
    return _PREFIX + hmac.new(key, data, hashlib.sha256).hexdigest()


def sign_plan_file(plan_path: Path | str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Write `FILE.sig` when the key is set (and remove a stale one when it is not); its path."""
    key = _key(os.environ if environ is None else environ)
    sig = signature_path(plan_path)
    if key is None:
        sig.unlink(missing_ok=True)
        return None
    sig.write_text(_mac(key, Path(plan_path).read_bytes()) + "\n", encoding="utf-8")
    return sig


def verify_plan_file(plan_path: Path | str, environ: Mapping[str, str] | None = None) -> None:
    """Raise `PlanSignatureError` when the key is set and `FILE.sig` is missing or does not match."""
    key = _key(os.environ if environ is None else environ)
    if key is None:
        return
    sig = signature_path(plan_path)
    try:
        recorded = sig.read_text(encoding="utf-8").strip()
        data = Path(plan_path).read_bytes()
    except FileNotFoundError as exc:
        raise PlanSignatureError(f"{KEY_VARIABLE} is set but {sig} is missing: the plan file is not "
                                 "signed; run plan again with the key set") from exc
    except OSError as exc:
        raise PlanSignatureError(f"{sig} cannot be read: {type(exc).__name__}") from exc
    if not hmac.compare_digest(recorded, _mac(key, data)):
        raise PlanSignatureError(f"{plan_path} is not signed by the key in {KEY_VARIABLE} (edited after it "
                                 "was written, or signed with another key); run plan again")

"""A field agent built from a boarding file, speaking the agent side of the vendor's APIs like
mindconnect-nodejs `MindConnectAgent`: `/register` with the initial access token (a 3072-bit RSA
key for RSA_3072), `/oauth/token` with a client assertion, the agent's data source configuration,
and `/exchange` time series and events. Its registration is saved (0600) so a restart reuses it: the initial
access token works once."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from provisioner.errors import ProvisionError
from provisioner.field.boarding import secrets_dir, write_secret_file
from provisioner.providers.http.urls import checked_base_url

AGM = "/api/agentmanagement/v3"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
BOUNDARY = "mindspheremessage"
STATE_DIR = ".simulator"


def iso_ms(ts: float) -> str:
    stamp = datetime.fromtimestamp(ts, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def exchange_message(configuration_id: str, records: list[dict[str, Any]]) -> str:
    """multipart/mixed of one multipart/related item: a standardTimeSeries meta part and the data."""
    return _message({"type": "standardTimeSeries", "version": "1.0",
                     "details": {"configurationId": configuration_id}}, records)


def event_message(events: list[dict[str, Any]]) -> str:
    """multipart/mixed of one multipart/related item: a businessEvent meta part and the events."""
    return _message({"type": "businessEvent", "version": "1.0"}, events)


def _message(payload: dict[str, Any], data: list[dict[str, Any]]) -> str:
    meta = {"type": "item", "version": "1.0", "payload": payload}
    return (
        f"--{BOUNDARY}\r\nContent-Type: multipart/related;boundary=mindspherepart\r\n\r\n"
        "--mindspherepart\r\nContent-Type: application/vnd.siemens.mindsphere.meta+json\r\n\r\n"
        f"{json.dumps(meta)}\r\n"
        "--mindspherepart\r\nContent-Type: application/json\r\n\r\n"
        f"{json.dumps(data)}\r\n"
        f"--mindspherepart--\r\n--{BOUNDARY}--\r\n"
    )


@dataclass
class FieldAgent:
    """One device: its boarding file, saved registration and (RSA_3072) key."""

    key: str
    boarding: dict[str, Any]
    folder: Path
    http: httpx.AsyncClient
    registration: dict[str, Any] | None = None
    private_key: rsa.RSAPrivateKey | None = None
    token: str | None = None
    token_expires: float = 0.0

    @classmethod
    def from_file(cls, path: Path, http: httpx.AsyncClient) -> FieldAgent:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            content = data["content"]
            checked_base_url(str(content["baseUrl"]), what=f"{path.name} baseUrl")
            str(content["clientId"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ProvisionError(f"{path}: not a boarding file ({exc.__class__.__name__})") from None
        return cls(path.stem, data, path.parent, http)

    @property
    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = self.boarding["content"]
        return content

    @property
    def client_id(self) -> str:
        return str(self.content["clientId"])

    @property
    def profile(self) -> str:
        profiles = self.content.get("clientCredentialProfile") or ["SHARED_SECRET"]
        return str(profiles[0] if isinstance(profiles, list) else profiles)

    @property
    def base(self) -> str:
        return checked_base_url(str(self.content["baseUrl"]))

    def _state_path(self, suffix: str) -> Path:
        return secrets_dir(self.folder / STATE_DIR) / f"{self.key}.{suffix}"

    def _load_key(self) -> rsa.RSAPrivateKey:
        path = self._state_path("key.pem")
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                return key
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.unlink(missing_ok=True)
        _write_pem(path, pem)
        return key

    def _jwks(self) -> dict[str, Any]:
        assert self.private_key is not None
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**jwk, "kid": "provision-simulator"}]}

    async def onboard(self) -> bool:
        """Register unless a saved registration of this boarding file exists; True if it registered."""
        if self.profile == "RSA_3072":
            self.private_key = self._load_key()
        saved = self._state_path("registration.json")
        if saved.exists():
            stored = json.loads(saved.read_text(encoding="utf-8"))
            if stored.get("iat_digest") == _digest(str(self.content["iat"])):
                self.registration = stored["response"]
                return False
        body = {"jwks": self._jwks()} if self.profile == "RSA_3072" else {}
        response = await self.http.post(f"{self.base}{AGM}/register", json=body,
                                        headers={"Authorization": f"Bearer {self.content['iat']}"})
        if response.status_code != 201:
            raise ProvisionError(f"{self.key}: onboarding refused ({response.status_code} "
                                 f"{_error_code(response)})")
        self.registration = response.json()
        write_secret_file(saved, {"iat_digest": _digest(str(self.content["iat"])),
                                  "response": self.registration})
        return True

    def _assertion(self) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": ["southgate"], "iat": now,
                  "nbf": now, "exp": now + 3600, "jti": str(uuid.uuid4()),
                  "schemas": ["urn:siemens:mindsphere:v1"], "ten": self.content.get("tenant")}
        if self.profile == "RSA_3072":
            assert self.private_key is not None
            return jwt.encode(claims, self.private_key, algorithm="RS384")
        assert self.registration is not None
        return jwt.encode(claims, str(self.registration["client_secret"]), algorithm="HS256")

    async def bearer(self) -> str:
        if self.token is None or time.monotonic() > self.token_expires:
            form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": self._assertion()}
            response = await self.http.post(f"{self.base}{AGM}/oauth/token", data=form)
            if response.status_code != 200:
                raise ProvisionError(f"{self.key}: token refused ({response.status_code} "
                                     f"{_error_code(response)})")
            body = response.json()
            self.token = str(body["access_token"])
            self.token_expires = time.monotonic() + float(body.get("expires_in", 3600)) - 60
        return self.token

    async def data_source_configuration(self) -> dict[str, Any]:
        response = await self.http.get(f"{self.base}{AGM}/agents/{self.client_id}/dataSourceConfiguration",
                                       headers={"Authorization": f"Bearer {await self.bearer()}"})
        if response.status_code != 200:
            raise ProvisionError(f"{self.key}: cannot read its data source configuration "
                                 f"({response.status_code})")
        body: dict[str, Any] = response.json()
        return body

    def save_sent(self, values: list[dict[str, Any]]) -> None:
        """What this run uploaded (`.simulator/<key>.sent.json`; values, no secrets)."""
        path = self._state_path("sent.json")
        path.write_text(json.dumps(values, indent=1) + "\n", encoding="utf-8")

    def save_events(self, events: list[dict[str, Any]]) -> None:
        """The events this run sent (`.simulator/<key>.events.json`; no secrets)."""
        path = self._state_path("events.json")
        path.write_text(json.dumps(events, indent=1) + "\n", encoding="utf-8")

    async def upload(self, configuration_id: str, records: list[dict[str, Any]]) -> None:
        await self._exchange(exchange_message(configuration_id, records), "upload")

    async def upload_events(self, events: list[dict[str, Any]]) -> None:
        await self._exchange(event_message(events), "event upload")

    async def _exchange(self, message: str, what: str) -> None:
        headers = {"Authorization": f"Bearer {await self.bearer()}",
                   "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}
        response = await self.http.post(f"{self.base}/api/mindconnect/v3/exchange", content=message,
                                        headers=headers)
        if response.status_code != 200:
            raise ProvisionError(f"{self.key}: {what} refused ({response.status_code})")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_pem(path: Path, pem: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _error_code(response: httpx.Response) -> str:
    """The IAM error code of a refusal (never its description, which might echo input)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""

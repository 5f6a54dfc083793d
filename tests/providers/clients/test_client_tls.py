"""TLS verification is on: a server with a certificate no CA vouches for is refused, on every pool."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioner.providers.http import ApiConnectionError, ItwinApiKey, RetryPolicy
from provisioner.providers.itwin_iot.client import ItwinIotClient


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
async def tls_port(tmp_path: Path) -> AsyncIterator[int]:
    """A loopback TLS server with a self-signed certificate that answers nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_a_certificate_no_ca_vouches_for_is_refused(tls_port: int) -> None:
    retry = RetryPolicy(max_attempts=1)
    async with ItwinIotClient(f"https://localhost:{tls_port}", ItwinApiKey("test-key-not-real"),
                              retry=retry, concurrency=12) as client:  # several pools
        for _ in range(3):  # each request goes to the next pool: every pool verifies
            with pytest.raises(ApiConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.list_nodes("p")

"""The database URL reaches asyncpg as written, so its TLS settings really apply.

Production sets `sslmode=verify-full` (encrypted, certificate and host name checked) in
DATABASE_URL. These tests connect for real: to the local PostgreSQL server, and to a local TLS
endpoint that speaks PostgreSQL's SSL negotiation with a self-signed certificate, so the
certificate check is proven whatever the local server's own `ssl` setting is.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.db import engine_for, postgres_config
from app.settings import Settings

SSL_REQUEST_CODE = 80877103  # the first message of a client that asks for TLS


def _with_params(url: str, params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{params}"


async def _connect(url: str) -> asyncpg.Connection:
    """Connect the way the app's engine does: asyncpg with the engine's config."""
    return await asyncpg.connect(**postgres_config(url), timeout=5)


def test_the_database_url_reaches_the_engine_unchanged() -> None:
    url = (
        "postgresql://ponctuel:s3cret@127.0.0.1:1/ponctuel"
        "?sslmode=verify-full&sslrootcert=/etc/ssl/certs/db-ca.pem"
        "&application_name=ponctuel-web&connect_timeout=5&target_session_attrs=read-write"
    )
    engine = engine_for(Settings(database_url=url))  # port 1: nothing listens, nothing sent
    assert engine.config == {"dsn": url}


async def _local_ssl(database_url: str) -> str:
    connection = await _connect(_with_params(database_url, "sslmode=disable"))
    try:
        return str(await connection.fetchval("SHOW ssl"))
    finally:
        await connection.close()


@pytest.mark.postgres_only
async def test_sslmode_require_refuses_a_server_without_tls(database_url: str) -> None:
    if await _local_ssl(database_url) != "off":
        pytest.skip("the local PostgreSQL has ssl=on, so sslmode=require would succeed")
    with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
        await _connect(_with_params(database_url, "sslmode=require"))


@pytest.mark.postgres_only
async def test_sslmode_verify_full_refuses_the_local_servers_untrusted_certificate(
    database_url: str, tmp_path: Path
) -> None:
    if await _local_ssl(database_url) != "on":
        pytest.skip(
            "the local PostgreSQL has ssl=off: it presents no certificate to refuse "
            "(test_verify_full_checks_the_certificate covers the check)"
        )
    other_ca = _self_signed(tmp_path, "other-ca").cert
    with pytest.raises(ssl.SSLCertVerificationError):
        await _connect(_with_params(database_url, f"sslmode=verify-full&sslrootcert={other_ca}"))


# --- a TLS endpoint with a certificate of our own -----------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def _self_signed(directory: Path, name: str) -> Certificate:
    """A self-signed certificate for 127.0.0.1, which only itself can vouch for."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(directory / f"{name}.crt", directory / f"{name}.key")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class TlsEndpoint:
    url: str
    startups: list[bytes] = field(default_factory=list)  # what clients sent once TLS was up


@pytest.fixture
async def tls_endpoint(tmp_path: Path) -> AsyncIterator[tuple[TlsEndpoint, Certificate]]:
    """Accepts PostgreSQL's SSLRequest, shows a self-signed certificate, then refuses to log in.

    A client that sends its startup message over TLS has accepted the certificate.
    """
    certificate = _self_signed(tmp_path, "server")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    startups: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readexactly(8)
            if int.from_bytes(request[4:], "big") != SSL_REQUEST_CODE:
                return
            writer.write(b"S")
            await writer.drain()
            await writer.start_tls(context)
            length = int.from_bytes(await reader.readexactly(4), "big")
            startups.append(await reader.readexactly(length - 4))
            error = b"SFATAL\x00C28000\x00Mno login here\x00\x00"
            writer.write(b"E" + (len(error) + 4).to_bytes(4, "big") + error)
            await writer.drain()
        except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up on the handshake
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint = TlsEndpoint(f"postgresql://ponctuel@127.0.0.1:{port}/ponctuel", startups)
    try:
        yield endpoint, certificate
    finally:
        server.close()
        await server.wait_closed()


async def test_verify_full_checks_the_certificate(
    tls_endpoint: tuple[TlsEndpoint, Certificate], tmp_path: Path
) -> None:
    endpoint, certificate = tls_endpoint
    stranger = _self_signed(tmp_path, "unrelated-ca")

    untrusted = _with_params(endpoint.url, f"sslmode=verify-full&sslrootcert={stranger.cert}")
    with pytest.raises(ssl.SSLCertVerificationError):
        await _connect(untrusted)
    assert endpoint.startups == [], "nothing may be sent to a server that was not verified"

    # The same server, with its certificate trusted: TLS is up and the login goes on.
    trusted = _with_params(
        endpoint.url,
        f"sslmode=verify-full&sslrootcert={certificate.cert}&application_name=ponctuel-web",
    )
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no login here"):
        await _connect(trusted)
    [startup] = endpoint.startups
    assert b"application_name\x00ponctuel-web\x00" in startup

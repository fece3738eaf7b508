"""Log in with an OpenID Connect provider: Google, Microsoft, or any provider with discovery.

This is the authorization code flow with PKCE (S256), a `state` and a `nonce`:

1. `begin_login` returns the provider's authorization URL and a small `pending` dict that the
   caller keeps until the provider answers (Ponctuel seals it in a short-lived cookie).
2. The provider sends the browser back with `code` and `state`. The caller takes `pending` back
   first and makes sure it is answered only once (so that a replayed callback is refused), then
   calls `complete_login`, which checks the state, exchanges the code at the token endpoint and
   verifies the ID token against the provider's published keys.

Accounts must be linked on `(issuer, subject)`, never on the e-mail address alone: an address is
only worth something when `email_verified` is true, and Microsoft does not vouch for it at all.

This module knows nothing about the web framework; it only speaks HTTP to the provider.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal, cast
from urllib.parse import urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization

GOOGLE_DISCOVERY_URL: Final = "https://accounts.google.com/.well-known/openid-configuration"
MICROSOFT_DISCOVERY_URL: Final = (
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
)
_DISCOVERY_PRESETS: Final = {"google": GOOGLE_DISCOVERY_URL, "microsoft": MICROSOFT_DISCOVERY_URL}

SCOPE: Final = "openid email profile"
CACHE_TTL: Final = timedelta(hours=1)
CLOCK_LEEWAY_SECONDS: Final = 60
HTTP_TIMEOUT_SECONDS: Final = 10.0
# Asymmetric algorithms only: "none" and the HMAC family are never accepted.
ID_TOKEN_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")

# Microsoft's multi-tenant ("common") discovery document publishes this issuer template; each
# token's real issuer carries the tenant id that is also in its `tid` claim.
TENANT_PLACEHOLDER: Final = "{tenantid}"
_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})

OidcErrorReason = Literal[
    "no_pending_login",
    "state_reused",
    "provider_mismatch",
    "state_mismatch",
    "provider_error",
    "token_exchange_failed",
    "invalid_id_token",
    "nonce_mismatch",
    "provider_unreachable",
    "invalid_discovery",
]


class OidcError(ValueError):
    """A login through a provider failed; `reason` is short and safe to log or map to a message.

    `detail` may contain text chosen by the provider or the browser: log it, never display it.
    """

    def __init__(self, reason: OidcErrorReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: OidcErrorReason = reason
        self.detail = detail


@dataclass(frozen=True)
class OidcProvider:
    name: str
    label: str
    discovery_url: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class OidcIdentity:
    """Who the provider says logged in. `(issuer, subject)` is the stable key of the account."""

    provider: str
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str


def provider_label(name: str) -> str:
    """How pages name a provider, configured or not any more: `google` is "Google"."""
    return name.capitalize()


def providers_from_settings(
    entries: tuple[tuple[str, str, str, str], ...],
) -> dict[str, OidcProvider]:
    """Build the providers from `(name, discovery_url, client_id, client_secret)` entries.

    `google` and `microsoft` get their discovery URL when it is left empty.
    """
    providers: dict[str, OidcProvider] = {}
    for raw_name, raw_url, client_id, client_secret in entries:
        name = raw_name.strip().lower()
        if not _PROVIDER_NAME.fullmatch(name):
            raise ValueError(f"OIDC provider name {raw_name!r} must be a short lowercase slug")
        if name in providers:
            raise ValueError(f"OIDC provider {name!r} is configured twice")
        discovery_url = raw_url.strip() or _DISCOVERY_PRESETS.get(name, "")
        if not discovery_url:
            raise ValueError(f"OIDC provider {name!r} needs a discovery URL")
        if not _is_secure_url(discovery_url):
            raise ValueError(f"OIDC provider {name!r} must use https (http only on loopback)")
        if not client_id:
            raise ValueError(f"OIDC provider {name!r} needs a client id")
        providers[name] = OidcProvider(
            name, provider_label(name), discovery_url, client_id, client_secret
        )
    return providers


async def begin_login(
    *,
    provider: OidcProvider,
    redirect_uri: str,
    http: httpx.AsyncClient | None = None,
    now: datetime | None = None,
) -> tuple[str, dict[str, str]]:
    """Return the URL to send the browser to, and the `pending` dict to keep in the session.

    `http` is used for the discovery document; pass `now` to reuse a cached one.
    """
    try:
        async with _http_client(http) as client:
            discovery = await _discover(client, provider, now)
    except httpx.HTTPError as exc:
        raise OidcError("provider_unreachable", type(exc).__name__) from exc

    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)
    async with AsyncOAuth2Client(
        client_id=provider.client_id,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    ) as oauth:
        url, _ = oauth.create_authorization_url(
            discovery.authorization_endpoint,
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
        )
    pending = {
        "provider": provider.name,
        "state": state,
        "nonce": nonce,
        "code_verifier": code_verifier,
        "redirect_uri": redirect_uri,
    }
    return str(url), pending


async def complete_login(
    *,
    provider: OidcProvider,
    pending: dict[str, str] | None,
    params: Mapping[str, str],
    now: datetime,
    http: httpx.AsyncClient | None = None,
) -> OidcIdentity:
    """Check the callback's `params` against `pending`, redeem the code, verify the ID token.

    `http` is used for the discovery document and the keys (cached for `CACHE_TTL`); the token
    request goes through authlib's own client.
    """
    login = _read_pending(pending, provider)
    if not _same(params.get("state", ""), login.state):
        raise OidcError("state_mismatch")
    if "error" in params:
        raise OidcError("provider_error", params["error"][:100])
    code = params.get("code", "")
    if not code:
        raise OidcError("provider_error", "the callback carries no code")

    try:
        async with _http_client(http) as client:
            discovery = await _discover(client, provider, now)
            id_token = await _redeem_code(provider, discovery, login, code)
            claims = await _verify_id_token(client, provider, discovery, id_token, now)
    except httpx.HTTPError as exc:
        raise OidcError("provider_unreachable", type(exc).__name__) from exc

    if not _same(claims.get("nonce"), login.nonce):
        raise OidcError("nonce_mismatch")
    return _identity(provider, claims)


def expected_issuer(discovery_issuer: str, claims: Mapping[str, object]) -> str | None:
    """The issuer a token must carry; for a `{tenantid}` template, the one of the token's tenant."""
    if TENANT_PLACEHOLDER not in discovery_issuer:
        return discovery_issuer
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or not _TENANT_ID.fullmatch(tenant):
        return None
    return discovery_issuer.replace(TENANT_PLACEHOLDER, tenant)


def clear_cache() -> None:
    """Forget the cached discovery documents and key sets (tests start providers on new ports)."""
    _cache.clear()


@dataclass(frozen=True)
class _PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class _Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_endpoint_auth_method: str


# URL -> (fetched at, JSON document). Holds a discovery document and a key set per provider.
_cache: dict[str, tuple[datetime, dict[str, object]]] = {}


def _read_pending(pending: Mapping[str, str] | None, provider: OidcProvider) -> _PendingLogin:
    if not pending:
        raise OidcError("no_pending_login")
    fields = ("state", "nonce", "code_verifier", "redirect_uri")
    values = [pending.get(name) for name in fields]
    if not all(isinstance(value, str) and value for value in values):
        raise OidcError("no_pending_login", "the pending login is incomplete")
    if pending.get("provider") != provider.name:
        raise OidcError("provider_mismatch")
    return _PendingLogin(*cast(list[str], values))


def _same(received: object, expected: str) -> bool:
    """Constant-time comparison of a received value with the one we stored."""
    if not isinstance(received, str) or not received:
        return False
    return hmac.compare_digest(received.encode(), expected.encode())


def _is_secure_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


@asynccontextmanager
async def _http_client(http: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    if http is not None:
        yield http
        return
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
        yield client


async def _get_json(
    client: httpx.AsyncClient, url: str, now: datetime | None, *, refresh: bool = False
) -> dict[str, object]:
    if now is not None and not refresh:
        cached = _cache.get(url)
        if cached is not None and now - cached[0] < CACHE_TTL:
            return cached[1]
    response = await client.get(url, headers={"Accept": "application/json"})
    response.raise_for_status()
    try:
        document = response.json()
    except ValueError as exc:
        raise OidcError("invalid_discovery", f"{url} is not JSON") from exc
    if not isinstance(document, dict):
        raise OidcError("invalid_discovery", f"{url} is not a JSON object")
    if now is not None:
        for stale in [key for key, (at, _) in _cache.items() if now - at >= CACHE_TTL]:
            del _cache[stale]
        _cache[url] = (now, document)
    return document


async def _discover(
    client: httpx.AsyncClient, provider: OidcProvider, now: datetime | None
) -> _Discovery:
    document = await _get_json(client, provider.discovery_url, now)
    return discovery_from(document, discovery_url=provider.discovery_url)


def discovery_from(document: Mapping[str, object], *, discovery_url: str) -> _Discovery:
    """What a discovery document tells us: https endpoints, an issuer the discovery URL belongs
    to (any tenant of a `{tenantid}` template), and how to authenticate at the token endpoint:
    client_secret_basic unless the provider offers only client_secret_post."""
    urls: dict[str, str] = {}
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(key)
        if not isinstance(value, str) or not _is_secure_url(value):
            raise OidcError("invalid_discovery", f"{key} is missing or not https")
        urls[key] = value
    issuer = urls["issuer"].rstrip("/")
    if TENANT_PLACEHOLDER not in issuer and not discovery_url.startswith(f"{issuer}/.well-known/"):
        raise OidcError("invalid_discovery", "the issuer does not match the discovery URL")
    # RFC 8414: a provider that lists no methods accepts client_secret_basic.
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    accepts_basic = isinstance(methods, list) and "client_secret_basic" in methods
    return _Discovery(
        **urls,
        token_endpoint_auth_method="client_secret_basic" if accepts_basic else "client_secret_post",
    )


async def _redeem_code(
    provider: OidcProvider, discovery: _Discovery, login: _PendingLogin, code: str
) -> str:
    """Exchange the authorization code (with the PKCE verifier) for the ID token.

    authlib sends `grant_type=authorization_code` for a code, and the verifier as given.
    """
    async with AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=discovery.token_endpoint_auth_method,
        redirect_uri=login.redirect_uri,
        timeout=HTTP_TIMEOUT_SECONDS,
    ) as oauth:
        try:
            token = await oauth.fetch_token(
                discovery.token_endpoint, code=code, code_verifier=login.code_verifier
            )
        except OAuthError as exc:
            raise OidcError("token_exchange_failed", str(exc.error)) from exc
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise OidcError("token_exchange_failed", f"HTTP {status}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("invalid_id_token", "the token response has no id_token")
    return id_token


async def _verify_id_token(
    client: httpx.AsyncClient,
    provider: OidcProvider,
    discovery: _Discovery,
    id_token: str,
    now: datetime,
) -> dict[str, object]:
    """Check the ID token against the provider's published keys, fetched again once when it
    names a key we have not seen (the provider may have rotated its keys)."""
    unknown_key: InvalidKeyIdError | None = None
    for refresh in (False, True):
        keys = signing_keys(await _get_json(client, discovery.jwks_uri, now, refresh=refresh))
        try:
            return verified_claims(
                id_token, keys, client_id=provider.client_id, issuer=discovery.issuer, now=now
            )
        except InvalidKeyIdError as exc:
            unknown_key = exc
    raise OidcError("invalid_id_token", str(unknown_key)) from unknown_key


def verified_claims(
    id_token: str, keys: KeySet, *, client_id: str, issuer: str, now: datetime
) -> dict[str, object]:
    """The claims of an ID token whose signature (by one of `keys`, with an algorithm we
    accept), registered claims, issuer and audience all hold; OidcError otherwise.

    Raises InvalidKeyIdError, for the caller to refresh the keys, when the token names a key
    that is not among them. The nonce must be present; the caller compares it.
    """
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except InvalidKeyIdError:
        raise
    except (JoseError, ValueError) as exc:
        raise OidcError("invalid_id_token", str(exc)) from exc
    claims: dict[str, object] = token.claims
    try:
        jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise OidcError("invalid_id_token", str(exc)) from exc
    if claims["iss"] != expected_issuer(issuer, claims):
        raise OidcError("invalid_id_token", "unexpected issuer")
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise OidcError("invalid_id_token", "several audiences and azp is not this client")
    return claims


def signing_keys(document: Mapping[str, object]) -> KeySet:
    """The signature keys of a JWKS document (RSA or EC, not marked for encryption)."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise OidcError("invalid_discovery", "the key set has no keys")
    usable = [
        key
        for key in keys
        if isinstance(key, dict)
        and key.get("kty") in {"RSA", "EC"}
        and key.get("use", "sig") == "sig"
    ]
    try:
        return KeySet.import_key_set(cast(KeySetSerialization, {"keys": usable}))
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise OidcError("invalid_discovery", "the key set cannot be read") from exc


def _identity(provider: OidcProvider, claims: Mapping[str, object]) -> OidcIdentity:
    email = claims.get("email")
    verified = claims.get("email_verified")
    name = claims.get("name")
    return OidcIdentity(
        provider=provider.name,
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=email.strip().lower() if isinstance(email, str) else "",
        email_verified=verified is True or verified == "true",
        name=name.strip() if isinstance(name, str) else "",
    )

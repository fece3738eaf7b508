"""Log in through the sandbox OpenID Connect provider, served over real HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from litestar import Litestar, get

from app.accounts import oidc
from app.accounts.oidc import (
    CACHE_TTL,
    GOOGLE_DISCOVERY_URL,
    MICROSOFT_DISCOVERY_URL,
    OidcError,
    OidcProvider,
    begin_login,
    clear_cache,
    complete_login,
    expected_issuer,
    providers_from_settings,
)
from app.clock import FixedClock, SystemClock
from app.sandbox.oidc import DEFAULT_USERS, SandboxUser, create_oidc_sandbox
from tests.servers import listening_socket, serve_asgi, url_of

REDIRECT_URI = "http://127.0.0.1:8000/auth/oidc/sandbox/callback"


@asynccontextmanager
async def sandbox_provider(
    users: tuple[SandboxUser, ...] = DEFAULT_USERS,
    signing_key: RSAKey | None = None,
    jwks_keys: list[RSAKey] | None = None,
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post"),
) -> AsyncIterator[OidcProvider]:
    """Serve a fresh sandbox provider and describe it as Ponctuel's settings would."""
    sock = listening_socket()
    issuer = url_of(sock)
    app = create_oidc_sandbox(
        issuer, users, signing_key=signing_key, jwks_keys=jwks_keys, auth_methods=auth_methods
    )
    async with serve_asgi(app, sock=sock):
        yield OidcProvider(
            name="sandbox",
            label="Sandbox",
            discovery_url=f"{issuer}/.well-known/openid-configuration",
            client_id="ponctuel-dev",
            client_secret="ponctuel-dev-secret",
        )


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
async def provider() -> AsyncIterator[OidcProvider]:
    async with sandbox_provider() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def callback_params(response: httpx.Response) -> dict[str, str]:
    """The query parameters of the provider's redirect back to Ponctuel."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return dict(parse_qsl(urlsplit(location).query))


async def authorize_as(http: httpx.AsyncClient, url: str, email: str) -> dict[str, str]:
    response = await http.get(f"{url}&{urlencode({'login_hint': email})}")
    return callback_params(response)


async def test_login_hint_flow_returns_the_identity(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["code_challenge_method"] == "S256"
    lengths = [len(pending[name]) for name in ("state", "nonce", "code_verifier")]
    assert lengths == [43, 43, 86], "256-bit state and nonce, 512-bit verifier"
    assert query["state"] == pending["state"]
    assert query["nonce"] == pending["nonce"]
    assert "code_verifier" not in query
    assert set(pending) == {"provider", "state", "nonce", "code_verifier", "redirect_uri"}

    params = await authorize_as(http, url, "alice@example.test")
    identity = await complete_login(
        provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
    )

    assert identity.provider == "sandbox"
    assert identity.issuer == provider.discovery_url.removesuffix(
        "/.well-known/openid-configuration"
    )
    assert identity.subject == "sandbox-alice"
    assert identity.email == "alice@example.test"
    assert identity.email_verified is True
    assert identity.name == "Alice Martin"


async def test_choice_page_flow_without_a_shared_client(provider: OidcProvider) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI)
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        assert "<script" not in page.text
        match = re.search(r'name="request_id" value="([^"]+)"', page.text)
        assert match is not None
        authorize_url = url.split("?")[0]
        answer = await browser.post(
            authorize_url, data={"request_id": match.group(1), "sub": "sandbox-bob"}
        )
    params = callback_params(answer)

    identity = await complete_login(
        provider=provider, pending=pending, params=params, now=SystemClock().now()
    )

    assert (identity.subject, identity.email, identity.name) == (
        "sandbox-bob",
        "bob@example.test",
        "Bob Durand",
    )


async def test_cancelling_on_the_provider_is_a_provider_error(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    page = await http.get(url)
    match = re.search(r'name="request_id" value="([^"]+)"', page.text)
    assert match is not None
    answer = await http.post(url.split("?")[0], data={"request_id": match.group(1), "cancel": "1"})
    params = callback_params(answer)
    assert params["error"] == "access_denied"

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert refused.value.reason == "provider_error"
    assert refused.value.detail == "access_denied"


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        ({}, "the callback carries no code"),
        ({"code": ""}, "the callback carries no code"),
        ({"error": "e" * 150, "code": "abc"}, "e" * 100),  # an error wins, cut to 100 characters
    ],
)
async def test_a_callback_without_a_code_or_with_an_error_is_a_provider_error(
    provider: OidcProvider, http: httpx.AsyncClient, answer: dict[str, str], detail: str
) -> None:
    _, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider,
            pending=pending,
            params={"state": pending["state"], **answer},
            now=SystemClock().now(),
            http=http,
        )
    assert (refused.value.reason, refused.value.detail) == ("provider_error", detail)


async def test_wrong_or_missing_state_is_refused(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")

    for bad_params in ({**params, "state": "forged"}, {"code": params["code"]}):
        with pytest.raises(OidcError) as refused:
            await complete_login(
                provider=provider,
                pending=dict(pending),
                params=bad_params,
                now=SystemClock().now(),
                http=http,
            )
        assert refused.value.reason == "state_mismatch"


async def test_replayed_code_is_refused_by_the_token_endpoint(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")
    now = SystemClock().now()
    await complete_login(
        provider=provider, pending=dict(pending), params=params, now=now, http=http
    )

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider, pending=dict(pending), params=params, now=now, http=http
        )
    assert refused.value.reason == "token_exchange_failed"
    assert refused.value.detail == "invalid_grant"


async def test_wrong_pkce_verifier_is_refused(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")
    pending["code_verifier"] = "x" * 64

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert refused.value.reason == "token_exchange_failed"


async def test_nonce_mismatch_is_refused(provider: OidcProvider, http: httpx.AsyncClient) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")
    pending["nonce"] = "another-nonce"

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert refused.value.reason == "nonce_mismatch"


async def test_expired_id_token_is_refused(provider: OidcProvider, http: httpx.AsyncClient) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")
    two_hours_later = SystemClock().now() + timedelta(hours=2)

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider, pending=pending, params=params, now=two_hours_later, http=http
        )
    assert refused.value.reason == "invalid_id_token"


@pytest.mark.parametrize("same_kid", [True, False], ids=["same-kid", "other-kid"])
async def test_id_token_signed_by_an_unpublished_key_is_refused(
    http: httpx.AsyncClient, same_kid: bool
) -> None:
    signing = RSAKey.generate_key(2048, parameters={"kid": "sandbox-key"})
    published = RSAKey.generate_key(2048, parameters={"kid": "sandbox-key" if same_kid else "new"})
    async with sandbox_provider(signing_key=signing, jwks_keys=[published]) as provider:
        url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
        params = await authorize_as(http, url, "alice@example.test")

        with pytest.raises(OidcError) as refused:
            await complete_login(
                provider=provider,
                pending=pending,
                params=params,
                now=SystemClock().now(),
                http=http,
            )
    assert refused.value.reason == "invalid_id_token"
    assert ("bad_signature" if same_kid else "invalid_key_id") in refused.value.detail


async def test_unverified_email_is_reported_as_such(http: httpx.AsyncClient) -> None:
    carol = SandboxUser("sandbox-carol", "Carol@Example.TEST", "Carol Petit", email_verified=False)
    async with sandbox_provider(users=(carol,)) as provider:
        url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
        params = await authorize_as(http, url, "Carol@Example.TEST")
        identity = await complete_login(
            provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert identity.email == "carol@example.test"
    assert identity.email_verified is False


async def test_callback_without_pending_login_is_refused(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, _ = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")

    for missing in (None, {}):
        with pytest.raises(OidcError) as refused:
            await complete_login(
                provider=provider, pending=missing, params=params, now=SystemClock().now()
            )
        assert refused.value.reason == "no_pending_login"


async def test_pending_login_of_another_provider_is_refused(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=provider,
            pending={**pending, "provider": "google"},
            params=params,
            now=SystemClock().now(),
        )
    assert refused.value.reason == "provider_mismatch"


async def test_unreachable_provider() -> None:
    closed = listening_socket()
    address = url_of(closed)
    closed.close()
    provider = OidcProvider(
        "sandbox", "Sandbox", f"{address}/.well-known/openid-configuration", "id", "secret"
    )

    with pytest.raises(OidcError) as refused:
        await begin_login(provider=provider, redirect_uri=REDIRECT_URI)
    assert (refused.value.reason, refused.value.detail) == ("provider_unreachable", "ConnectError")


async def test_sandbox_refuses_requests_without_pkce_or_from_unknown_redirects(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, _ = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    authorize_url, query = url.split("?")[0], dict(parse_qsl(urlsplit(url).query))

    without_pkce = {k: v for k, v in query.items() if not k.startswith("code_challenge")}
    response = await http.get(authorize_url, params=without_pkce)
    assert callback_params(response)["error"] == "invalid_request"

    elsewhere = {**query, "redirect_uri": "https://attacker.example/callback"}
    response = await http.get(authorize_url, params=elsewhere)
    assert response.status_code == 400


def test_microsoft_issuer_template_takes_the_token_tenant() -> None:
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

    assert expected_issuer(template, {"tid": tenant}) == (
        f"https://login.microsoftonline.com/{tenant}/v2.0"
    )
    assert expected_issuer(template, {}) is None
    assert expected_issuer(template, {"tid": "evil.example/x"}) is None
    assert expected_issuer("https://accounts.google.com", {"tid": tenant}) == (
        "https://accounts.google.com"
    )


def test_providers_from_settings_fills_presets_and_labels() -> None:
    providers = providers_from_settings(
        (
            ("google", "", "g-id", "g-secret"),
            ("microsoft", "", "m-id", "m-secret"),
            ("keycloak", "https://sso.example.fr/.well-known/openid-configuration", "k", "s"),
        )
    )

    assert providers["google"].discovery_url == GOOGLE_DISCOVERY_URL
    assert providers["google"].label == "Google"
    assert providers["microsoft"].discovery_url == MICROSOFT_DISCOVERY_URL
    assert providers["microsoft"].label == "Microsoft"
    assert providers["keycloak"].label == "Keycloak"
    assert "g-secret" not in repr(providers["google"])

    with pytest.raises(ValueError, match="https"):
        providers_from_settings((("corp", "http://sso.example.fr/.well-known/x", "c", "s"),))
    with pytest.raises(ValueError, match="discovery URL"):
        providers_from_settings((("corp", "", "c", "s"),))


async def test_wrong_client_secret_is_refused(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "alice@example.test")
    impostor = OidcProvider(
        provider.name, provider.label, provider.discovery_url, provider.client_id, "wrong"
    )

    with pytest.raises(OidcError) as refused:
        await complete_login(
            provider=impostor, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert refused.value.reason == "token_exchange_failed"
    assert refused.value.detail == "invalid_client"


async def test_sandbox_accepts_client_secret_post_and_answers_userinfo(
    provider: OidcProvider, http: httpx.AsyncClient
) -> None:
    url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
    params = await authorize_as(http, url, "bob@example.test")
    base = url.split("/authorize")[0]

    token = await http.post(
        f"{base}/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": pending["code_verifier"],
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
        },
    )
    assert token.status_code == 200
    assert token.headers["cache-control"] == "no-store"
    access_token = token.json()["access_token"]

    userinfo = await http.get(
        f"{base}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert userinfo.json()["email"] == "bob@example.test"
    refused = await http.get(f"{base}/userinfo", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_the_client_authenticates_the_way_the_provider_offers(
    http: httpx.AsyncClient, method: str
) -> None:
    async with sandbox_provider(auth_methods=(method,)) as provider:
        url, pending = await begin_login(provider=provider, redirect_uri=REDIRECT_URI, http=http)
        params = await authorize_as(http, url, "alice@example.test")
        identity = await complete_login(
            provider=provider, pending=pending, params=params, now=SystemClock().now(), http=http
        )
    assert identity.subject == "sandbox-alice"


async def test_discovery_and_keys_are_fetched_again_only_once_their_hour_is_over(
    http: httpx.AsyncClient,
) -> None:
    clock = FixedClock(SystemClock().now())
    sock = listening_socket()
    issuer = url_of(sock)
    sandbox = create_oidc_sandbox(issuer, clock=clock)
    discovery_url = f"{issuer}/.well-known/openid-configuration"
    provider = OidcProvider(
        "sandbox", "Sandbox", discovery_url, "ponctuel-dev", "ponctuel-dev-secret"
    )

    async def log_in() -> None:
        now = clock.now()
        url, pending = await begin_login(
            provider=provider, redirect_uri=REDIRECT_URI, http=http, now=now
        )
        params = await authorize_as(http, url, "alice@example.test")
        identity = await complete_login(
            provider=provider, pending=pending, params=params, now=now, http=http
        )
        assert identity.subject == "sandbox-alice"

    async with serve_asgi(sandbox, sock=sock):
        await log_in()
        clock.advance(CACHE_TTL - timedelta(seconds=1))
        await log_in()
        assert sandbox.state.served == {"discovery": 1, "jwks": 1}, "an hour of reuse"
        clock.advance(timedelta(seconds=1))
        await log_in()
        assert sandbox.state.served == {"discovery": 2, "jwks": 2}

        sandbox.state.rotate_key()  # a token signed by a key we have not seen: fetch the keys again
        await log_in()
        assert sandbox.state.served == {"discovery": 2, "jwks": 3}


async def test_a_token_endpoint_that_never_answers_ends_the_login_at_the_timeout(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The token endpoint accepts the connection and never answers: the login must fail after
    # the configured timeout, not after httpx's default (5 s) nor never.
    monkeypatch.setattr(oidc, "HTTP_TIMEOUT_SECONDS", 0.2)
    silent = listening_socket()
    sock = listening_socket()
    issuer = url_of(sock)

    @get("/.well-known/openid-configuration", sync_to_thread=False)
    def discovery() -> dict[str, str]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{url_of(silent)}/token",
            "jwks_uri": f"{issuer}/jwks",
        }

    provider = OidcProvider(
        "sandbox", "Sandbox", f"{issuer}/.well-known/openid-configuration", "id", "secret"
    )
    pending = {
        "provider": "sandbox",
        "state": "s" * 43,
        "nonce": "n" * 43,
        "code_verifier": "v" * 86,
        "redirect_uri": REDIRECT_URI,
    }
    async with serve_asgi(Litestar([discovery]), sock=sock):
        with pytest.raises(OidcError) as refused:
            async with asyncio.timeout(3):
                await complete_login(
                    provider=provider,
                    pending=pending,
                    params={"state": "s" * 43, "code": "a-code"},
                    now=SystemClock().now(),
                    http=http,
                )
    silent.close()
    assert (refused.value.reason, refused.value.detail) == ("provider_unreachable", "ReadTimeout")

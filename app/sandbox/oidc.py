"""A real OpenID Connect provider kept in memory, for tests and `make run`.

It is a separate ASGI application: never mount it in the production app. Run it alone with
`python -m app.sandbox.oidc --port 8090`, then point Ponctuel at it with
`OIDC_PROVIDERS=sandbox|http://127.0.0.1:8090/.well-known/openid-configuration|ponctuel-dev|ponctuel-dev-secret`.

It implements the authorization code flow with PKCE (S256 only): `/authorize` shows a page to pick
a user (or picks the one named by `login_hint` at once), `/token` redeems a code once and returns
an RS256-signed ID token, `/jwks` publishes the key and `/userinfo` answers bearer tokens.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from urllib.parse import unquote_plus, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from litestar import Litestar, MediaType, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Response

from app.clock import Clock, SystemClock

CODE_LIFETIME = timedelta(minutes=1)
TOKEN_LIFETIME = timedelta(hours=1)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class SandboxUser:
    sub: str
    email: str
    name: str
    email_verified: bool = True


@dataclass(frozen=True)
class SandboxClient:
    client_id: str
    client_secret: str
    redirect_uri_prefixes: tuple[str, ...] = ("http://127.0.0.1:", "http://localhost:")


# Chloé's address can also be typed into Ponctuel's signup form (which refuses reserved domains
# such as .test): sign up with it, then log in with the sandbox to link the two.
DEFAULT_USERS = (
    SandboxUser("sandbox-alice", "alice@example.test", "Alice Martin"),
    SandboxUser("sandbox-bob", "bob@example.test", "Bob Durand"),
    SandboxUser("sandbox-chloe", "chloe.sandbox@example.com", "Chloé Lambert"),
)
DEFAULT_CLIENTS = (SandboxClient("ponctuel-dev", "ponctuel-dev-secret"),)

HttpRequest = Request[object, object, State]


@dataclass(frozen=True)
class _AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str


@dataclass(frozen=True)
class _Grant:
    request: _AuthorizationRequest
    user: SandboxUser
    expires_at: datetime


@dataclass
class _Provider:
    issuer: str
    clients: dict[str, SandboxClient]
    users: dict[str, SandboxUser]
    signing_key: RSAKey
    published_keys: KeySet
    clock: Clock
    auth_methods: tuple[str, ...]
    served: Counter[str] = field(default_factory=Counter)  # requests per document, for tests
    waiting: dict[str, _AuthorizationRequest] = field(default_factory=dict)
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[SandboxUser, datetime]] = field(default_factory=dict)

    def rotate_key(self) -> None:
        """Sign with a new key and publish only that one, as a provider rotating its keys."""
        self.signing_key = RSAKey.generate_key(2048, auto_kid=True)
        self.published_keys = KeySet([self.signing_key])

    def discovery(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": list(self.auth_methods),
        }

    def check_authorization(
        self, query: Mapping[str, str]
    ) -> _AuthorizationRequest | Response[str]:
        """The request, or the error response: a redirect once the redirect URI is trusted."""
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or not redirect_uri.startswith(client.redirect_uri_prefixes):
            return Response("Unknown client_id or redirect_uri.", status_code=400)
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        if "openid" not in query.get("scope", "").split():
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return _redirect(redirect_uri, error="invalid_request", state=state)
        if not state or not query.get("nonce"):
            return _redirect(redirect_uri, error="invalid_request", state=state)
        return _AuthorizationRequest(
            client.client_id, redirect_uri, state, query["nonce"], query["code_challenge"]
        )

    def authorize(self, query: Mapping[str, str]) -> Response[str]:
        """Check the request; redirect at once for a known `login_hint`, else show the page."""
        checked = self.check_authorization(query)
        if isinstance(checked, Response):
            return checked
        hinted = [u for u in self.users.values() if u.email == query.get("login_hint")]
        if hinted:
            return self.issue_code(checked, hinted[0])
        request_id = secrets.token_urlsafe(16)
        self.waiting[request_id] = checked
        return self.choice_page(request_id, checked)

    def choose(self, form: Mapping[str, str]) -> Response[str]:
        """The page's answer: a user was picked, or the login was cancelled."""
        waiting = self.waiting.pop(form.get("request_id", ""), None)
        if waiting is None:
            return Response("Unknown or used authorization request.", status_code=400)
        if form.get("cancel"):
            return _redirect(waiting.redirect_uri, error="access_denied", state=waiting.state)
        user = self.users.get(form.get("sub", ""))
        if user is None:
            return Response("Unknown user.", status_code=400)
        return self.issue_code(waiting, user)

    def issue_code(self, request: _AuthorizationRequest, user: SandboxUser) -> Response[str]:
        code = secrets.token_urlsafe(32)
        self.codes[code] = _Grant(request, user, self.clock.now() + CODE_LIFETIME)
        return _redirect(request.redirect_uri, code=code, state=request.state)

    def authenticate_client(
        self, form: Mapping[str, str], authorization: str
    ) -> SandboxClient | None:
        """client_secret_basic (the Authorization header) or client_secret_post (the form),
        each only when the discovery document offers it."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, encoded = authorization.partition(" ")
        basic = scheme.lower() == "basic"
        if ("client_secret_basic" if basic else "client_secret_post") not in self.auth_methods:
            return None
        if basic:
            try:
                decoded = base64.b64decode(encoded, validate=True).decode()
            except ValueError:
                return None
            raw_id, _, raw_secret = decoded.partition(":")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        client = self.clients.get(client_id)
        if client is None:
            return None
        return (
            client if hmac.compare_digest(secret.encode(), client.client_secret.encode()) else None
        )

    def redeem(self, form: Mapping[str, str], client: SandboxClient) -> Response[object]:
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type")
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once, even if refused
        now = self.clock.now()
        if (
            grant is None
            or grant.expires_at < now
            or grant.request.client_id != client.client_id
            or grant.request.redirect_uri != form.get("redirect_uri")
            or not _pkce_matches(form.get("code_verifier", ""), grant.request.code_challenge)
        ):
            return _token_error("invalid_grant")
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = (grant.user, now + TOKEN_LIFETIME)
        claims = {
            "iss": self.issuer,
            "sub": grant.user.sub,
            "aud": client.client_id,
            "iat": int(now.timestamp()),
            "exp": int((now + TOKEN_LIFETIME).timestamp()),
            "nonce": grant.request.nonce,
            **_profile(grant.user),
        }
        header = {"alg": "RS256", "kid": self.signing_key.kid}
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "scope": "openid email profile",
            "id_token": jwt.encode(header, claims, self.signing_key),
        }
        return Response(body, headers=NO_STORE)

    def user_for_token(self, authorization: str) -> SandboxUser | None:
        scheme, _, token = authorization.partition(" ")
        found = self.access_tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found[1] < self.clock.now():
            return None
        return found[0]

    def choice_page(self, request_id: str, request: _AuthorizationRequest) -> Response[str]:
        buttons = "\n".join(
            f'<p><button name="sub" value="{escape(user.sub)}">'
            f"{escape(user.name)} &lt;{escape(user.email)}&gt;</button></p>"
            for user in self.users.values()
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OIDC sandbox</title></head>
<body><h1>OIDC sandbox: sign in to {escape(request.client_id)}</h1>
<form method="post" action="/authorize">
<input type="hidden" name="request_id" value="{escape(request_id)}">
{buttons}
<p><button name="cancel" value="1">Cancel</button></p>
</form></body></html>"""
        headers = {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
        return Response(page, media_type=MediaType.HTML, headers=headers)


def create_oidc_sandbox(
    issuer: str,
    users: Sequence[SandboxUser] = DEFAULT_USERS,
    *,
    clients: Sequence[SandboxClient] = DEFAULT_CLIENTS,
    signing_key: RSAKey | None = None,
    jwks_keys: Sequence[RSAKey] | None = None,
    clock: Clock | None = None,
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post"),
) -> Litestar:
    """A provider whose issuer is `issuer` (the URL it is served at, without a trailing slash).

    `jwks_keys` are the keys served at `/jwks` (by default the signing key): a test can publish a
    different key to check that a token signed by an unpublished key is refused.
    """
    key = signing_key or RSAKey.generate_key(2048, auto_kid=True)
    provider = _Provider(
        issuer=issuer.rstrip("/"),
        clients={client.client_id: client for client in clients},
        users={user.sub: user for user in users},
        signing_key=key,
        published_keys=KeySet(list(jwks_keys) if jwks_keys is not None else [key]),
        clock=clock or SystemClock(),
        auth_methods=auth_methods,
    )

    @get("/.well-known/openid-configuration", sync_to_thread=False)
    def discovery() -> dict[str, object]:
        provider.served["discovery"] += 1
        return provider.discovery()

    @get("/jwks", sync_to_thread=False)
    def jwks() -> dict[str, object]:
        provider.served["jwks"] += 1
        return dict(provider.published_keys.as_dict())

    @get("/authorize", sync_to_thread=False)
    def authorize(request: HttpRequest) -> Response[str]:
        return provider.authorize(dict(request.query_params))

    @post("/authorize", status_code=200)
    async def choose_user(request: HttpRequest) -> Response[str]:
        return provider.choose(await _form(request))

    @post("/token", status_code=200)
    async def token(request: HttpRequest) -> Response[object]:
        form = await _form(request)
        client = provider.authenticate_client(form, request.headers.get("authorization", ""))
        if client is None:
            return _token_error("invalid_client", status_code=401)
        return provider.redeem(form, client)

    @get("/userinfo", sync_to_thread=False)
    def userinfo(request: HttpRequest) -> Response[object]:
        user = provider.user_for_token(request.headers.get("authorization", ""))
        if user is None:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return Response({"error": "invalid_token"}, status_code=401, headers=headers)
        return Response({"sub": user.sub, **_profile(user)}, headers=NO_STORE)

    application = Litestar(
        route_handlers=[discovery, jwks, authorize, choose_user, token, userinfo],
        openapi_config=None,
    )
    application.state.served = provider.served
    application.state.rotate_key = provider.rotate_key
    return application


async def _form(request: HttpRequest) -> dict[str, str]:
    """The urlencoded body's text fields (a repeated field keeps its last value)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _profile(user: SandboxUser) -> dict[str, object]:
    return {"email": user.email, "email_verified": user.email_verified, "name": user.name}


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return bool(verifier) and hmac.compare_digest(computed.encode(), challenge.encode())


def _redirect(uri: str, **params: str) -> Response[str]:
    separator = "&" if "?" in uri else "?"
    return Redirect(f"{uri}{separator}{urlencode(params)}", status_code=302)


def _token_error(error: str, status_code: int = 400) -> Response[object]:
    return Response({"error": error}, status_code=status_code, headers=NO_STORE)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the local OpenID Connect sandbox provider.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    issuer = f"http://{args.host}:{args.port}"
    print(f"OIDC sandbox at {issuer}; discovery: {issuer}/.well-known/openid-configuration")
    uvicorn.run(create_oidc_sandbox(issuer), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

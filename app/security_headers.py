"""Security headers on every response, error pages and htmx fragments included.

Pages meant for one person are also kept out of browser and proxy caches (`no-store`).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings


def content_security_policy(*, https: bool) -> str:
    """No inline script or style, no eval: htmx is configured by a meta tag (see base.html)."""
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
    if https:
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


def header_values(settings: Settings) -> list[tuple[str, str]]:
    headers = [
        ("content-security-policy", content_security_policy(https=settings.cookies_secure)),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
        ("vary", "HX-Request"),
    ]
    if settings.cookies_secure:
        headers.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, headers: list[tuple[str, str]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A path parameter of this name carries a secret (email verification, password reset and
# invitation links): the page it opens is private even to a visitor who is not logged in.
SECRET_PATH_PARAMETER = "token"  # noqa: S105 (a parameter name, not a secret)


def _is_static_file(scope: Scope) -> bool:
    return scope["path"].startswith("/static/")


def is_private(scope: Scope) -> bool:
    """The response is for one person: a logged-in user, a session, or a secret link."""
    if scope.get("state", {}).get("identity") is not None:
        return True
    session = scope.get("session")
    if isinstance(session, dict) and session:
        return True  # logged in now, halfway through a login, or an unfinished signup
    return SECRET_PATH_PARAMETER in scope.get("path_params", {})


class NoStoreMiddleware(ASGIMiddleware):
    """`Cache-Control: no-store` on private responses, unless the handler chose its own.

    Static files keep their own caching. Runs inside the session middleware, so a session the
    handler has just opened counts.
    """

    scopes = (ScopeType.HTTP,)
    should_bypass_for_scope = staticmethod(_is_static_file)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start" and is_private(scope):
                headers = MutableScopeHeaders.from_message(message)
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await next_app(scope, receive, send_with_cache_control)

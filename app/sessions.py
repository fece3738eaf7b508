"""Server-side sessions in Redis, with a fresh session id on every login (no fixation).

The CSRF token changes at the same moment: Litestar's CSRF protection is a double-submit
cookie, so a token planted or read before the login must not stay valid in the session after.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.csrf import generate_csrf_token
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

ROTATE_KEY = "ponctuel.rotate_session"


def rotate_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask the backend to move this session to a new id when the response is sent."""
    connection.scope[ROTATE_KEY] = True  # type: ignore[literal-required]


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's Redis-backed session that can drop its old id and issue a new one."""

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        if isinstance(scope_session, dict) and not scope_session:
            # Anonymous visitors with nothing to remember get no cookie and no Redis key.
            if not connection.cookies.get(self.config.key):
                return
            scope_session = Empty
        if connection.scope.get(ROTATE_KEY) and scope_session is not Empty:
            store = self.config.get_store_from_app(connection.scope["app"])
            old_id = connection.cookies.get(self.config.key)
            if old_id:
                await self.delete(old_id, store=store)
            new_id = self.generate_session_id()
            await self.set(new_id, self.serialize_data(scope_session, connection.scope), store)
            params = {
                "path": self.config.path,
                "max_age": self.config.max_age,
                "secure": self.config.secure,
                "httponly": self.config.httponly,
                "samesite": self.config.samesite,
            }
            headers = MutableScopeHeaders.from_message(message)
            cookie = Cookie(key=self.config.key, value=new_id, **params)  # type: ignore[arg-type]
            headers.add("Set-Cookie", cookie.to_header(header=""))
            _renew_csrf_cookie(headers, connection)
            return
        await super().store_in_message(scope_session, message, connection)


def _renew_csrf_cookie(
    headers: MutableScopeHeaders, connection: ASGIConnection[Any, Any, Any, Any]
) -> None:
    """Set a new CSRF token cookie, made as the CSRF middleware makes its own.

    It comes after any cookie that middleware set on this response, so the browser keeps it.
    """
    config = connection.app.csrf_config
    if config is None:
        return
    cookie = Cookie(
        key=config.cookie_name,
        value=generate_csrf_token(secret=config.secret),
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )
    headers.add("Set-Cookie", cookie.to_header(header=""))


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend

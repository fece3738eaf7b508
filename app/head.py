"""HEAD answered for every GET route, once, around the whole application.

Litestar routes HEAD only to handlers declared for it, and those may not return a body, so a
page handler cannot serve both. This layer runs a HEAD request as the GET it stands for and
drops the body: the status and every header (Content-Length included) are the GET's, as
RFC 9110 asks, and no handler needs to know.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)

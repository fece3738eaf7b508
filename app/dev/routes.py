"""The mail outbox page: every email the local SMTP server received, rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from app.messaging.outbox import read_message, read_outbox
from app.web import render, settings_of

Req = Request[Any, Any, Any]


def _outbox_dir(request: Req) -> Path:
    return Path(settings_of(request).outbox_dir)


@get("/dev/outbox", name="dev.outbox")
async def list_outbox(request: Req) -> Template:
    return render(request, "dev/outbox.html", messages=read_outbox(_outbox_dir(request)))


@get("/dev/outbox/{message_id:str}", name="dev.outbox_message")
async def show_outbox_message(request: Req, message_id: FromPath[str]) -> Template:
    message = read_message(_outbox_dir(request), message_id)
    if message is None:
        raise NotFoundException()
    return render(request, "dev/outbox_message.html", message=message)


@get("/dev/outbox/{message_id:str}/html", name="dev.outbox_html")
async def show_outbox_html(request: Req, message_id: FromPath[str]) -> Response[str]:
    """The HTML part as sent, sandboxed so it can run nothing and load nothing remote."""
    message = read_message(_outbox_dir(request), message_id)
    if message is None or message.html is None:
        raise NotFoundException()
    return Response(
        message.html,
        media_type="text/html",
        headers={
            "content-security-policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
            "x-frame-options": "SAMEORIGIN",
        },
    )


router = Router(
    path="/",
    route_handlers=[list_outbox, show_outbox_message, show_outbox_html],
    include_in_schema=False,
)

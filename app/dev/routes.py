"""The mail outbox page: every email the local SMTP server received, rendered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from app.accounts.forms import EMAIL, INVALID_SIREN, WRONG_LOGIN
from app.accounts.queries import AuditPage, AuditRow
from app.errors import N_
from app.forms import Form
from app.messaging.outbox import read_message, read_outbox
from app.settings import ROOT
from app.web import render, settings_of

Req = Request[Any, Any, Any]


def _outbox_dir(request: Req) -> Path:
    return Path(settings_of(request).outbox_dir)


@get("/dev/styleguide", name="dev.styleguide")
async def show_styleguide(request: Req) -> Template:
    """Every macro and every design token on one page, in every state later pages use."""
    now = request.app.state.clock.now()
    return render(
        request,
        "dev/styleguide.html",
        tokens=design_tokens(),
        blank_form=Form({"email": "claire@menuiserie-dubois.example"}),
        failed_form=Form(
            {"email": "claire@", "siren": "123"},
            {"email": EMAIL.required or "", "siren": INVALID_SIREN, "form": WRONG_LOGIN},
        ),
        audit_events=[
            AuditRow(
                now,
                "claire@menuiserie-dubois.example",
                "login",
                "password+totp",
                "192.0.2.10",
                True,
            ),
            AuditRow(now, "", "login_failed", "password", "198.51.100.7", False),
            AuditRow(
                now,
                "claire@menuiserie-dubois.example",
                "member_role_changed",
                "paul@menuiserie-dubois.example (member → admin)",
                "192.0.2.10",
                True,
            ),
        ],
        pager=AuditPage(rows=[], page=2, page_count=3, total=120),
        flashes=[
            {"category": "success", "message": N_("Vous avez quitté l'entreprise.")},
            {"category": "info", "message": N_("La double authentification est déjà activée.")},
            {
                "category": "warning",
                "message": N_("La liaison a expiré : recommencez la connexion."),
            },
            {"category": "error", "message": WRONG_LOGIN},
        ],
    )


def design_tokens() -> dict[str, list[tuple[str, str]]]:
    """The custom properties of app.css's :root, grouped by kind (color, step, space, other)."""
    css = (ROOT / "static" / "css" / "app.css").read_text()
    block = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    groups: dict[str, list[tuple[str, str]]] = {"color": [], "step": [], "space": [], "other": []}
    for name, value in re.findall(r"--([\w-]+):\s*([^;]+);", block):
        kind = name.split("-", 1)[0]
        groups[kind if kind in groups else "other"].append((name, value.strip()))
    return groups


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
    route_handlers=[show_styleguide, list_outbox, show_outbox_message, show_outbox_html],
    include_in_schema=False,
)

"""Public pages and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.response import Template

from app.companies.rules import vat_for
from app.public import site
from app.public.health import check_health, check_liveness
from app.public.legal import TERMS_EFFECTIVE_ON, site_cookies
from app.web import render, settings_of

Req = Request[Any, Any, Any]


@get("/mentions-legales", name="public.legal_notice")
async def show_legal_notice(request: Req) -> Template:
    settings = settings_of(request)
    return render(
        request,
        "public/legal/notice.html",
        site=settings,
        vat_number=vat_for(settings.operator_siren),
    )


@get("/conditions-generales", name="public.terms")
async def show_terms(request: Req) -> Template:
    return render(
        request,
        "public/legal/terms.html",
        site=settings_of(request),
        terms_effective_on=TERMS_EFFECTIVE_ON,
    )


@get("/confidentialite", name="public.privacy")
async def show_privacy(request: Req) -> Template:
    settings = settings_of(request)
    return render(
        request, "public/legal/privacy.html", site=settings, cookies=site_cookies(settings)
    )


@get("/contact", name="public.contact")
async def show_contact(request: Req) -> Template:
    return render(request, "public/legal/contact.html", site=settings_of(request))


@get("/healthz", name="public.health")
async def show_health(request: Req) -> Response[dict[str, Any]]:
    """DB, Redis and worker heartbeat; 503 when any of them is not OK."""
    report = await check_health(
        redis=request.app.state.redis,
        settings=settings_of(request),
        now=request.app.state.clock.now(),
    )
    return Response(report, status_code=200 if report["ok"] else 503)


@get("/healthz/live", name="public.liveness")
async def show_liveness(request: Req) -> Response[dict[str, Any]]:
    """The web process and its database only: what a load balancer should act on."""
    report = await check_liveness()
    return Response(report, status_code=200 if report["ok"] else 503)


router = Router(
    path="/",
    route_handlers=[
        *site.ROUTES,
        show_legal_notice,
        show_terms,
        show_privacy,
        show_contact,
        show_health,
        show_liveness,
    ],
    include_in_schema=False,
)

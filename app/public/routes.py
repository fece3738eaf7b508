"""Public pages and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.response import Template

from app.public.health import check_health, check_liveness
from app.web import render, settings_of

Req = Request[Any, Any, Any]


@get("/", name="public.home")
async def show_home(request: Req) -> Template:
    return render(request, "public/home.html")


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
    path="/", route_handlers=[show_home, show_health, show_liveness], include_in_schema=False
)

"""create_app(settings): the one place where routes, middleware, plugins and errors are wired."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import AfterExceptionHookHandler, Scope
from litestar.utils.scope.state import ScopeState
from redis.asyncio import Redis

from app import limits
from app.accounts.guards import IdentityMiddleware, load_identity
from app.accounts.oidc import providers_from_settings
from app.accounts.routes import auth as auth_routes
from app.accounts.routes import claims as claims_routes
from app.accounts.routes import closure as closure_routes
from app.accounts.routes import members as members_routes
from app.accounts.routes import oidc as oidc_routes
from app.accounts.routes import providers as provider_routes
from app.accounts.routes import totp as totp_routes
from app.admin.routes import claims as admin_claims_routes
from app.clock import Clock, SystemClock
from app.db import bind_engine, close_pool, engine_for, open_pool
from app.errors import AccountLocked, DomainError
from app.head import HeadAsGetMiddleware
from app.i18n import gettext
from app.once import SingleUse
from app.piccolo_app import ALL_TABLES
from app.public import api as api_routes
from app.public import routes as public_routes
from app.public.cache import RecentPagesMiddleware, RenderedPages
from app.queue import create_queue
from app.ratelimit import RateLimiter
from app.security import DataKeys, Passwords
from app.security_headers import NoStoreMiddleware, SecurityHeadersMiddleware, header_values
from app.sessions import RotatingSessionBackend, RotatingSessionConfig
from app.settings import ROOT, Settings
from app.web import FormDecodingMiddleware, flash_cookie_hook, make_environment, render

API_PREFIX = "/api/"

DATABASE_POOL_SIZE = 10  # connections each web process keeps open


def _error_page(
    request: Request[Any, Any, Any], status_code: int, detail: str = ""
) -> Response[Any]:
    template = {404: "errors/404.html", 500: "errors/500.html"}.get(status_code, "errors/4xx.html")
    # Pending notices wait for the next real page: an error page may not save the session.
    return render(
        request, template, status_code=status_code, status=status_code, detail=detail, flashes=[]
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if request.url.path.startswith(API_PREFIX):
        return Response({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        login = request.app.route_reverse("accounts.login")
        return Redirect(path=f"{login}?next={request.url.path}", status_code=303)
    if isinstance(exc, NotAuthorizedException):
        return _error_page(request, 401)
    return _error_page(request, exc.status_code)


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    locale = getattr(request.state, "locale", None) or request.app.state.settings.default_locale
    return _error_page(request, exc.status_code, gettext(locale, exc.message))


def handle_account_locked(request: Request[Any, Any, Any], exc: AccountLocked) -> Response[Any]:
    """429 with a page saying which checks are paused and when they resume."""
    response = render(
        request,
        "errors/account_locked.html",
        status_code=429,
        kind=exc.kind,
        resumes_at=exc.resumes_at,
    )
    wait = exc.resumes_at - request.app.state.clock.now()
    response.headers["retry-after"] = str(max(1, int(wait.total_seconds())))
    return response


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_page(request, 500)


def chrome_for_routing_errors(
    session_config: RotatingSessionConfig, csrf_config: CSRFConfig
) -> AfterExceptionHookHandler[Exception]:
    """An after-exception hook: the session and identity for a 404 or 405 raised by the router.

    Those answers are decided before any middleware runs, so their page would not know who is
    logged in. The hook reads the session (read-only: nothing is saved from an error page) and
    the CSRF cookie, so the error page has the same header, and working forms, as every page.
    """
    backend = RotatingSessionBackend(config=session_config)

    async def load(exc: Exception, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP or "session" in scope:
            return  # raised inside a route: the middleware already loaded everything
        request: Request[Any, Any, Any] = Request(scope)
        scope["session"] = await backend.load_from_connection(request)
        csrf_cookie = request.cookies.get(csrf_config.cookie_name)
        if csrf_cookie:
            ScopeState.from_scope(scope).csrf_token = csrf_cookie
        await load_identity(request)

    return load


def create_app(settings: Settings, *, clock: Clock | None = None) -> Litestar:
    """Build the web application from explicit settings (checked here, however they were made)."""
    settings.check()
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    redis = Redis.from_url(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_pool(engine, size=DATABASE_POOL_SIZE)
        app.state.queue = await create_queue(settings)
        try:
            yield
        finally:
            await app.state.queue.aclose()
            await redis.aclose()
            await close_pool(engine)

    session_config = RotatingSessionConfig(
        key=settings.cookie_name("session"),
        max_age=settings.session_idle_minutes * 60,
        secure=settings.cookies_secure,
        httponly=True,
        samesite="lax",
        store="sessions",
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=settings.cookie_name("csrftoken"),
        cookie_secure=settings.cookies_secure,
        cookie_httponly=True,
        cookie_samesite="lax",
    )
    template_config = TemplateConfig(
        instance=JinjaTemplateEngine.from_environment(make_environment(auto_reload=settings.debug))
    )
    route_handlers: list[Any] = [
        create_static_files_router(path="/static", directories=[ROOT / "static"], name="static"),
        public_routes.router,
        api_routes.router,
        auth_routes.router,
        members_routes.router,
        totp_routes.router,
        oidc_routes.router,
        provider_routes.router,
        closure_routes.router,
        claims_routes.router,
        admin_claims_routes.router,
    ]
    if not settings.is_production:
        from app.dev import routes as dev_routes

        route_handlers.append(dev_routes.router)

    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "clock": clock or SystemClock(),
                "redis": redis,
                "engine": engine,
                "passwords": Passwords(settings.argon2_profile),
                "oidc_providers": providers_from_settings(settings.oidc_providers),
                "data_keys": DataKeys(settings.data_keys),
                "limiter": RateLimiter(redis, prefix=settings.redis_prefix),
                "single_use": SingleUse(redis, prefix=settings.redis_prefix),
                "rendered_pages": RenderedPages(fresh_ms=settings.page_fresh_ms),
            }
        ),
        stores={"sessions": RedisStore(redis, namespace=f"{settings.redis_prefix}:session")},
        middleware=[
            session_config.middleware,
            IdentityMiddleware(),
            NoStoreMiddleware(),
            FormDecodingMiddleware(),
        ],
        before_send=[flash_cookie_hook],
        after_exception=[chrome_for_routing_errors(session_config, csrf_config)],
        csrf_config=csrf_config,
        request_max_body_size=limits.REQUEST_BODY_BYTES,
        template_config=template_config,
        plugins=[HTMXPlugin()],
        # The schema covers the public JSON API only (every other router opts out), as JSON.
        openapi_config=OpenAPIConfig(
            title="Ponctuel API",
            version="1",
            description="Companies of the French registry and their payer score.",
            path="/api/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        exception_handlers={
            DomainError: handle_domain_error,
            AccountLocked: handle_account_locked,
            HTTPException: handle_http_exception,
            500: handle_server_error,
        },
        logging_config=LoggingConfig(
            root={"level": "WARNING", "handlers": ["queue_listener"]},
        ),
        debug=settings.debug,
    )
    # Around the router, so HEAD reaches every GET route and 404/405 answers get the headers too.
    app.asgi_handler = SecurityHeadersMiddleware(
        HeadAsGetMiddleware(
            RecentPagesMiddleware(app.asgi_handler, app.state.rendered_pages, settings)
        ),
        header_values(settings),
    )
    return app


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory app.main:app_from_env`."""
    return create_app(Settings.from_env(os.environ))

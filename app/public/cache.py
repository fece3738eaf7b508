"""Public pages served as shared-cache friendly responses to anonymous visitors.

An anonymous visitor gets a page that sets no cookie (its route is left out of the CSRF
middleware: it has no unsafe form), carries an `ETag` built from exactly what it shows, and
may be kept by a shared cache for a few seconds. A conditional request with a current copy
gets a 304; otherwise the rendered bytes are reused, in this process, for as long as the ETag
stays the same. A signed-in visitor gets the same page rendered for them, never cached.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime
from functools import cache
from typing import Any

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.response import Template
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)
from litestar.utils.scope.state import ScopeState

from app.i18n import LOCALE_COOKIE, formatting_locale, negotiate
from app.settings import ROOT, Settings
from app.web import ensure_page_context, pop_flashes, render, settings_of

Req = Request[Any, Any, Any]

# Handler `opt` of a shared page: Litestar's CSRF middleware skips it, so no cookie is set.
SHARED_PAGE: dict[str, Any] = {"exclude_from_csrf": True}
SHARED_CACHE_CONTROL = "public, max-age=0, s-maxage=5, must-revalidate"
# The language comes from the cookie or the browser's languages; htmx asks for a fragment.
VARY = "Accept-Language, Cookie, HX-Request"
HTML = "text/html; charset=utf-8"
PAGES_KEPT = 2048


@dataclass(frozen=True)
class RecentPage:
    served_at: float  # time.monotonic()
    etag: str
    body: bytes
    headers: dict[str, str]


class RenderedPages:
    """The latest rendered pages of this process, by ETag (least recently used go first), and
    by address the pages served in the last `fresh_ms` milliseconds.

    A page just served is served again for `fresh_ms` without asking the database whether it
    changed: a new score shows within that delay, and a page read by many visitors costs one
    check per interval instead of one per visit.
    """

    def __init__(self, *, fresh_ms: int, size: int = PAGES_KEPT) -> None:
        self.size = size
        self.fresh_seconds = fresh_ms / 1000
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._recent: OrderedDict[str, RecentPage] = OrderedDict()

    def recent(self, address: str) -> RecentPage | None:
        """The page to serve again, or None: then the caller checks the database.

        When a page's moment is over, only the request that finds it so checks; the others
        keep getting the page meanwhile, instead of all checking at once.
        """
        page = self._recent.get(address)
        if page is None:
            return None
        now = time.monotonic()
        if now - page.served_at <= self.fresh_seconds:
            return page
        self._recent[address] = replace(page, served_at=now)
        return None

    def served(self, address: str, etag: str, body: bytes, headers: dict[str, str]) -> None:
        self._recent[address] = RecentPage(time.monotonic(), etag, body, headers)
        self._recent.move_to_end(address)
        while len(self._recent) > self.size:
            self._recent.popitem(last=False)

    def get(self, etag: str) -> bytes | None:
        body = self._pages.get(etag)
        if body is not None:
            self._pages.move_to_end(etag)
        return body

    def clear(self) -> None:
        """Forget every page kept: the next request of each address renders it again."""
        self._pages.clear()
        self._recent.clear()

    def put(self, etag: str, body: bytes) -> None:
        self._pages[etag] = body
        self._pages.move_to_end(etag)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)


@cache
def site_build() -> str:
    """A digest of the templates and translations: a new release changes every ETag."""
    digest = hashlib.sha256()
    for folder in ("templates", "app/translations"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".html", ".mo", ".txt", ".xml"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_shared(request: Req) -> bool:
    """The page may be shared: nobody is signed in (flash messages waiting make it private)."""
    ensure_page_context(request)
    return request.state.identity is None and not request.cookies.get(
        settings_of(request).cookie_name("flash")
    )


def adopt_csrf_cookie(request: Req) -> None:
    """On a page left out of the CSRF middleware, the visitor's own token keeps forms working."""
    token = request.cookies.get(settings_of(request).cookie_name("csrftoken"))
    if token:
        ScopeState.from_scope(request.scope).csrf_token = token


def _address(request: Req) -> str:
    return f"{request.state.locale} {request.url.path}"


def recent_page(request: Req, pages: RenderedPages) -> Response[Any] | None:
    """The page this address served an anonymous visitor a moment ago, without any query.

    Handlers call it first, before they read the database.
    """
    if not is_shared(request):
        return None
    page = pages.recent(_address(request))
    if page is None:
        return None
    if _matches(request.headers.get("if-none-match", ""), page.etag):
        return Response(content=b"", status_code=304, headers=page.headers)
    return Response(content=page.body, media_type=HTML, headers=page.headers)


def etag_for(parts: Iterable[object]) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode())
    return f'"{digest.hexdigest()[:32]}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """The visitor's copy (its If-None-Match header) is the page of this ETag."""
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in if_none_match.split(","))


def _render_bytes(request: Req, template: str, context: dict[str, Any]) -> bytes:
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the application has no template engine")
    full = Template(template_name=template, context=context).create_template_context(request)
    html: str = engine.get_template(template).render(**full)
    return html.encode()


async def shared_page(
    request: Req,
    template: str,
    *,
    validators: Iterable[object],
    last_modified: datetime | None,
    context: Callable[[], Awaitable[dict[str, Any]]],
    pages: RenderedPages,
) -> Response[Any]:
    """The page for an anonymous visitor (304, cached bytes, or rendered now), else private.

    `validators` are what the page shows depends on (a company's update time, its score's
    version...): the same validators always give the same bytes.
    """
    if not is_shared(request):
        adopt_csrf_cookie(request)
        return render(request, template, **(await context()))
    locale = request.state.locale
    etag = etag_for([template, *validators, locale, site_build()])
    headers = {"etag": etag, "cache-control": SHARED_CACHE_CONTROL, "vary": VARY}
    if last_modified is not None:
        headers["last-modified"] = format_datetime(last_modified, usegmt=True)
    if _matches(request.headers.get("if-none-match", ""), etag):
        if (known := pages.get(etag)) is not None:
            pages.served(_address(request), etag, known, headers)
        return Response(content=b"", status_code=304, headers=headers)
    body = pages.get(etag)
    if body is None:
        values = await context()
        values.setdefault("flashes", pop_flashes(request))
        values.setdefault("locale", locale)
        values.setdefault("format_locale", formatting_locale(locale, None))
        body = _render_bytes(request, template, values)
        pages.put(etag, body)
    pages.served(_address(request), etag, body, headers)
    return Response(content=body, media_type=HTML, headers=headers)


class RecentPagesMiddleware:
    """Serves a recent page (RenderedPages.recent) before the application runs at all.

    Only to a visitor the page may be shared with: a GET with neither a session nor a flash
    cookie. Its language is negotiated as the application would, from the language cookie and
    Accept-Language, so the page is the one the handler would have served. Anything else, and
    any page without a recent copy, goes through the application as usual.
    """

    def __init__(self, app: ASGIApp, pages: RenderedPages, settings: Settings) -> None:
        self.app = app
        self.pages = pages
        self.private_cookies = {settings.cookie_name("session"), settings.cookie_name("flash")}
        self.default_locale = settings.default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = self._recent(scope) if scope["type"] == ScopeType.HTTP else None
        if page is None:
            await self.app(scope, receive, send)
            return
        fresh = _matches(_header(scope, b"if-none-match"), page.etag)
        body = b"" if fresh else page.body
        headers = [(k.encode(), v.encode()) for k, v in page.headers.items()]
        if not fresh:
            headers += [(b"content-type", HTML.encode()), (b"content-length", b"%d" % len(body))]
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 304 if fresh else 200,
            "headers": headers,
        }
        await send(start)
        end: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": body,
            "more_body": False,
        }
        await send(end)

    def _recent(self, scope: Scope) -> RecentPage | None:
        if scope.get("method") != "GET" or not self.pages.fresh_seconds:
            return None
        cookies = _cookies(_header(scope, b"cookie"))
        if self.private_cookies & cookies.keys():
            return None
        locale = negotiate(
            user_locale=None,
            cookie_locale=cookies.get(LOCALE_COOKIE),
            accept_language=_header(scope, b"accept-language") or None,
            default=self.default_locale,
        )
        return self.pages.recent(f"{locale} {scope['path']}")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in header.split(";") if "=" in part)
    return {name: value for name, _, value in pairs}

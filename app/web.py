"""Web helpers shared by every area: templates, page-or-partial rendering, flash, client IP."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket
from litestar import Litestar, Request, get
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import ClientException, TooManyRequestsException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.rules import PASSWORD_MIN_LENGTH
from app.companies.nomenclature import division_label, legal_category_label, naf_label
from app.companies.rules import format_siren, vat_for
from app.i18n import (
    JINJA_FILTERS,
    JINJA_GETTEXT,
    LOCALE_COOKIE,
    LOCALE_COOKIE_MAX_AGE,
    formatting_locale,
    negotiate,
)
from app.once import SingleUse
from app.ratelimit import Hit, RateLimiter
from app.scores.rules import band_for
from app.security import DataKeys, Passwords, UnreadableSecret
from app.settings import LOCALES, ROOT, Settings

TEMPLATES_DIR = ROOT / "templates"


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the life of the process, shared by every environment.

    Each application built (one per worker process, one per test) gets its own environment;
    with this cache a template is compiled once per process, not once per application. A
    template whose source changes is compiled again: Jinja checks each entry against a
    checksum of the source. Entries are valid for environments of `make_environment` only,
    the one place that fixes the options compiled code depends on.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._compiled.clear()


COMPILED_TEMPLATES = CompiledTemplates()


def make_environment(*, auto_reload: bool = False) -> Environment:
    """The one Jinja environment: autoescaped HTML, i18n through Babel, money/date filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        bytecode_cache=COMPILED_TEMPLATES,
        auto_reload=auto_reload,
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    gettext, ngettext = JINJA_GETTEXT
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(JINJA_FILTERS)
    env.filters["siren"] = format_siren
    env.globals["score_band"] = band_for
    env.globals["vat_for"] = vat_for
    env.globals["naf_label"] = naf_label
    env.globals["division_label"] = division_label
    env.globals["legal_category_label"] = legal_category_label
    env.globals["htmx_file"] = vendored_htmx()
    env.globals["password_min_length"] = PASSWORD_MIN_LENGTH
    return env


def vendored_htmx() -> str:
    """The pinned htmx file in static/vendor (its name carries the version)."""
    files = sorted((ROOT / "static" / "vendor").glob("htmx-*.min.js"))
    return f"vendor/{files[-1].name}" if files else ""


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


FLASH_PURPOSE = "flash"
FLASH_MAX_AGE_SECONDS = 120
_OUTGOING_FLASHES = "ponctuel.outgoing_flashes"
_FLASH_COOKIE_READ = "ponctuel.flash_cookie_read"


def flash(request: Request[Any, Any, Any], message: str, category: str = "info") -> None:
    """Queue a message for the next rendered page.

    It travels in the session when there is one. A visitor without a session gets it in a
    short-lived sealed cookie instead, so that an anonymous request never costs a server-side
    session (see `flash_cookie_hook`).
    """
    item = {"message": str(message), "category": category}
    session = request.scope.get("session")
    if isinstance(session, dict) and session:
        session["flash"] = [*session.get("flash", []), item]
        return
    outgoing: list[dict[str, str]] = request.scope.setdefault(_OUTGOING_FLASHES, [])  # type: ignore[misc]
    outgoing.append(item)


def _cookie_flashes(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """The messages of a sealed flash cookie, if it opens and is recent; it is then deleted."""
    settings = settings_of(request)
    sealed = request.cookies.get(settings.cookie_name("flash"))
    if not sealed:
        return []
    request.scope[_FLASH_COOKIE_READ] = True  # type: ignore[literal-required]
    keys: DataKeys = request.app.state.data_keys
    try:
        payload = json.loads(keys.decrypt(sealed, purpose=FLASH_PURPOSE))
        written_at = datetime.fromisoformat(payload["at"])
        items = [
            {"message": str(item["message"]), "category": str(item["category"])}
            for item in payload["items"]
        ]
    except (UnreadableSecret, ValueError, KeyError, TypeError):
        return []
    age = (request.app.state.clock.now() - written_at).total_seconds()
    return items if 0 <= age <= FLASH_MAX_AGE_SECONDS else []


def pop_flashes(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    session = request.scope.get("session")
    messages: list[dict[str, str]] = []
    if isinstance(session, dict) and "flash" in session:
        messages = session.pop("flash")
    return messages + _cookie_flashes(request)


async def flash_cookie_hook(message: Message, scope: Scope) -> None:
    """Litestar `before_send`: write queued anonymous flashes to their cookie, or delete it."""
    if message["type"] != "http.response.start":
        return
    outgoing = scope.get(_OUTGOING_FLASHES)
    if not outgoing and not scope.get(_FLASH_COOKIE_READ):
        return
    app = scope["app"]
    settings: Settings = app.state.settings
    headers = MutableScopeHeaders.from_message(message)
    name = settings.cookie_name("flash")
    if outgoing:
        keys: DataKeys = app.state.data_keys
        payload = {"at": app.state.clock.now().isoformat(), "items": outgoing}
        cookie = Cookie(
            key=name,
            value=keys.encrypt(json.dumps(payload), purpose=FLASH_PURPOSE),
            max_age=FLASH_MAX_AGE_SECONDS,
        )
    else:
        cookie = Cookie(key=name, value="", max_age=0)
    cookie.path = "/"
    cookie.httponly = True
    cookie.samesite = "lax"
    cookie.secure = settings.cookies_secure
    headers.add("set-cookie", cookie.to_header(header=""))


def ensure_page_context(request: Request[Any, Any, Any]) -> None:
    """Requests that never reached a route (404, 405) still get a locale and no identity."""
    if not hasattr(request.state, "locale"):
        request.state.locale = negotiate(
            user_locale=None,
            cookie_locale=request.cookies.get(LOCALE_COOKIE),
            accept_language=request.headers.get("accept-language"),
            default=settings_of(request).default_locale,
        )
    if not hasattr(request.state, "identity"):
        request.state.identity = None


def render(
    request: Request[Any, Any, Any],
    page: str,
    *,
    partial: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render the full page, or only `partial` when htmx targets that partial's root element."""
    ensure_page_context(request)
    context.setdefault("flashes", pop_flashes(request))
    context.setdefault("locale", request.state.locale)
    context.setdefault(
        "format_locale",
        formatting_locale(request.state.locale, request.headers.get("accept-language")),
    )
    if partial and isinstance(request, HTMXRequest) and request.htmx:
        return HTMXTemplate(template_name=partial, context=context, status_code=status_code)
    return Template(template_name=page, context=context, status_code=status_code)


def route_names(app: Litestar) -> frozenset[str]:
    """The names of the app's route handlers: what `url_for` can link to."""
    return frozenset(
        handler.name
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.name
    )


def redirect_to(request: Request[Any, Any, Any], name: str, **params: Any) -> Redirect:
    """Redirect-after-post to a named route."""
    return Redirect(path=request.app.route_reverse(name, **params), status_code=303)


FORM_ADDRESS = "form_address"  # the `opt` flag of the handlers form_address makes


def form_address(path: str, *, page: str, name: str) -> HTTPRouteHandler:
    """A GET at the address a form posts to, answered by a redirect to the form's own page.

    A failed post answers at the form's address, which the address bar then shows: reloading
    it, bookmarking it or typing it again lands on the page instead of a 405. The page's own
    guards apply there. Path parameters are handed on to `page` by name.
    """

    async def to_the_form(request: Request[Any, Any, Any]) -> Redirect:
        return redirect_to(request, page, **request.path_params)

    return get(path, name=name, opt={FORM_ADDRESS: True})(to_the_form)


def locale_redirect(request: Request[Any, Any, Any], locale: str, target: str | None) -> Redirect:
    """Back to `target` (a same-site path, else the home page), remembering a known language."""
    response = Redirect(
        path=safe_next(target, request.app.route_reverse("public.home")), status_code=303
    )
    if locale in LOCALES:
        response.set_cookie(
            LOCALE_COOKIE,
            locale,
            max_age=LOCALE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=settings_of(request).cookies_secure,
        )
    return response


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are accepted as a post-login destination."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form's text fields (file parts are ignored)."""
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


FORM_TYPES = frozenset({RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART})


class FormDecodingMiddleware(ASGIMiddleware):
    """Parse a submitted form before anything reads it: bytes that are not UTF-8 are a 400.

    Litestar decodes multipart fields strictly and raises UnicodeDecodeError, which would be a
    500; url-encoded fields get replacement characters instead. The parsed form is kept in the
    request's scope, so the CSRF check and the handler read this same copy.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        is_form = request.content_type[0] in FORM_TYPES
        if is_form and request.method not in {"GET", "HEAD", "OPTIONS"}:
            try:
                await request.form()
            except UnicodeDecodeError as error:
                raise ClientException("the submitted form is not UTF-8 text") from error
        await next_app(scope, receive, send)


def mutable_session(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The session as a dict saved with the response, created when there is none."""
    session = request.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        request.set_session(session)
    return session


def passwords_of(request: Request[Any, Any, Any]) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


async def count_attempt(
    request: Request[Any, Any, Any],
    action: str,
    limit: int,
    *,
    key: str | None = None,
    window_seconds: int | None = None,
) -> Hit:
    """Count this request's attempt at `action` now, before any work; 429 beyond `limit`.

    `key` defaults to the client's address; the window to RATE_LIMIT_WINDOW_SECONDS.
    """
    limiter: RateLimiter = request.app.state.limiter
    window = window_seconds or settings_of(request).rate_limit_window_seconds
    hit = await limiter.hit(action, key or client_ip(request), limit=limit, window_seconds=window)
    if not hit.allowed:
        raise TooManyRequestsException()
    return hit


async def refund_attempt(
    request: Request[Any, Any, Any], action: str, *, key: str | None = None
) -> None:
    """A counted attempt turned out legitimate (a successful login): give it back."""
    limiter: RateLimiter = request.app.state.limiter
    await limiter.refund(action, key or client_ip(request))


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The caller's address, from one trusted source only.

    The socket's peer, unless TRUST_FLY_CLIENT_IP says Fly's proxy sits in front: Fly then
    overwrites `Fly-Client-IP` on every request, and that header is the client. Headers such as
    X-Forwarded-For are never read here (uvicorn reads them only from FORWARDED_ALLOW_IPS).
    """
    if settings_of(request).trust_fly_client_ip:
        forwarded = request.headers.get("fly-client-ip")
        if forwarded:
            return forwarded.strip()[:64]
    return request.client.host if request.client else "unknown"


def user_agent(request: Request[Any, Any, Any]) -> str:
    """The caller's User-Agent header, as the audit log records it."""
    return request.headers.get("user-agent", "")


def absolute_url(request: Request[Any, Any, Any], name: str, **params: Any) -> str:
    """The public URL of a named route, for links in emails and provider redirects."""
    return settings_of(request).base_url.rstrip("/") + request.app.route_reverse(name, **params)


def data_keys_of(request: Request[Any, Any, Any]) -> DataKeys:
    keys: DataKeys = request.app.state.data_keys
    return keys


def single_use_of(request: Request[Any, Any, Any]) -> SingleUse:
    single_use: SingleUse = request.app.state.single_use
    return single_use

"""The public site: search, company pages, the score's method, robots.txt and sitemaps.

No page here needs an account. Pages anonymous visitors read often are shared pages
(app/public/cache.py): no cookie, an ETag, and rendered bytes reused while nothing changed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.billing.rules import invoice_price_cents
from app.clock import paris_today
from app.companies.rules import (
    BadFilter,
    FilterProblem,
    QueryKind,
    SearchFilters,
    parse_filters,
    parse_query,
    siren_problem,
)
from app.companies.search import MOST_RESULTS, PER_PAGE, SearchPage, search_companies
from app.errors import N_
from app.public import queries
from app.public.cache import (
    SHARED_PAGE,
    RenderedPages,
    adopt_csrf_cookie,
    recent_page,
    shared_page,
)
from app.public.chart import history_chart
from app.scores import rules as score_rules
from app.web import absolute_url, locale_redirect, render, settings_of

Req = Request[Any, Any, Any]

PAGE_MAX = MOST_RESULTS // PER_PAGE  # pages of results: beyond, the query should be narrowed
PARAMETER_MAX = 200  # characters of a filter read (a postcode or a NAF code is far shorter)
SITEMAP_URLS = 50_000  # the most URLs a sitemap file may list

_FILTER_MESSAGES = {
    FilterProblem.PLACE: N_("Indiquez un département (69, 2A, 974) ou un code postal."),
    FilterProblem.ACTIVITY: N_(
        "Indiquez une section (J), une division (62) ou un code NAF (62.01Z)."
    ),
    FilterProblem.STATE: N_("Choisissez un état proposé."),
}
_FILTER_FIELDS = {
    FilterProblem.PLACE: "lieu",
    FilterProblem.ACTIVITY: "activite",
    FilterProblem.STATE: "etat",
}


def _pages(request: Req) -> RenderedPages:
    pages: RenderedPages = request.app.state.rendered_pages
    return pages


@get("/", name="public.home", opt=SHARED_PAGE)
async def show_home(request: Req) -> Response[Any] | Template:
    if (recent := recent_page(request, _pages(request))) is not None:
        return recent
    settings = settings_of(request)
    today = paris_today(request.app.state.clock)

    async def context() -> dict[str, Any]:
        price = invoice_price_cents(
            pack_price_cents=settings.token_pack_price_cents,
            pack_size=settings.token_pack_size,
            tokens_per_invoice=settings.tokens_per_invoice,
        )
        # The example reminder is the first step of the default scenario: a week before.
        return {
            "site": settings,
            "invoice_price_cents": price,
            "example_due_on": today + timedelta(days=7),
            "form": _search_form({}),
        }

    return await shared_page(
        request,
        "public/home.html",
        validators=[today],
        last_modified=None,
        context=context,
        pages=_pages(request),
    )


def _text(request: Req, name: str) -> str:
    return "".join(c for c in request.query_params.get(name, "")[:PARAMETER_MAX] if c.isprintable())


def _search_form(values: dict[str, str], error: FilterProblem | None = None) -> dict[str, Any]:
    return {
        "values": {"q": "", "lieu": "", "activite": "", "etat": "", **values},
        "errors": {} if error is None else {_FILTER_FIELDS[error]: _FILTER_MESSAGES[error]},
        "states": (("", N_("Toutes")), ("actives", N_("En activité")), ("cessees", N_("Cessées"))),
    }


@get("/recherche", name="public.search", opt=SHARED_PAGE)
async def show_search(request: Req) -> Template:
    """Results for a name, SIREN, SIRET or VAT number; a fragment for htmx's live results."""
    adopt_csrf_cookie(request)
    values = {name: _text(request, name) for name in ("q", "lieu", "activite", "etat")}
    query = parse_query(request.query_params.get("q", "")[:1000])
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and len(page_text) <= 3 else 0
    error: FilterProblem | None = None
    try:
        filters = parse_filters(
            place=values["lieu"], activity=values["activite"], state=values["etat"]
        )
    except BadFilter as bad:
        error, filters = bad.problem, SearchFilters()
    status = 200
    results = SearchPage(hits=(), page=1, has_more=False)
    if error is not None or not 1 <= page <= PAGE_MAX:
        status = 400
    else:
        results = await search_companies(query, filters=filters, page=page)
    scores = await queries.scores_of([hit.siren for hit in results.hits])
    return render(
        request,
        "public/search.html",
        partial="public/_results.html",
        status_code=status,
        form=_search_form(values, error),
        query_kind=query.kind.value,
        is_empty_query=query.kind is QueryKind.EMPTY,
        bad_page=error is None and status == 400,
        results=results,
        scores=scores,
        page_max=PAGE_MAX,
        next_query={**values, "page": str(results.page + 1)},
        previous_query={**values, "page": str(results.page - 1)},
    )


_REFERENCE = re.compile(r"(\d{9})(?:-[a-z0-9-]{0,130})?")


@get("/entreprises/{reference:str}", name="public.company", opt=SHARED_PAGE)
async def show_company(request: Req, reference: FromPath[str]) -> Response[Any] | Template:
    """A company's page at `<siren>-<slug>`; any other spelling of it redirects there."""
    if (recent := recent_page(request, _pages(request))) is not None:
        return recent
    match = _REFERENCE.fullmatch(reference.lower())
    if match is None or siren_problem(match.group(1)) is not None:
        raise NotFoundException()
    found = await queries.company_row(match.group(1))
    if found is None:
        raise NotFoundException()
    company_id, identity = found
    canonical = identity.reference
    if reference != canonical:
        target = request.app.route_reverse("public.company", reference=canonical)
        return Redirect(path=target, status_code=301)
    versions = await queries.page_versions(company_id, identity)
    instants = [v for v in versions if isinstance(v, datetime)]
    score = versions[0]
    if isinstance(score, tuple):
        instants.append(score[1])
    changed = max([identity.updated_at, *instants])

    async def context() -> dict[str, Any]:
        page = await queries.company_page(company_id, identity)
        history = page.score.history if page.score else ()
        return {
            "page": page,
            "company": identity,
            "score": page.score,
            "chart": history_chart([(point.month, point.value) for point in history]),
            "canonical_url": absolute_url(request, "public.company", reference=canonical),
            "method": score_rules,
        }

    return await shared_page(
        request,
        "public/company.html",
        validators=[identity.siren, identity.updated_at.isoformat(), *versions],
        last_modified=changed.astimezone(UTC),
        context=context,
        pages=_pages(request),
    )


@get("/indice-de-ponctualite", name="public.score_method", opt=SHARED_PAGE)
async def show_score_method(request: Req) -> Response[Any] | Template:
    """How the score is computed, in plain words, with the figures of the rules themselves."""
    if (recent := recent_page(request, _pages(request))) is not None:
        return recent

    async def context() -> dict[str, Any]:
        return {
            "method": score_rules,
            "curve": _points_examples(),
            "canonical_url": absolute_url(request, "public.score_method"),
        }

    return await shared_page(
        request,
        "public/score_method.html",
        validators=[],
        last_modified=None,
        context=context,
        pages=_pages(request),
    )


def _points_examples() -> list[tuple[int, int]]:
    """The points of the curve's own steps: the table the page shows is the rule itself."""
    return [(days, round(score_rules.points_for(days))) for days, _ in score_rules.POINTS_CURVE]


@get("/langue", name="public.choose_locale", opt=SHARED_PAGE)
async def choose_locale(request: Req) -> Response[Any]:
    """The language switch of pages without a form token: it only sets the language cookie."""
    return locale_redirect(
        request, request.query_params.get("locale", ""), request.query_params.get("next")
    )


@get("/robots.txt", name="public.robots", opt=SHARED_PAGE, media_type="text/plain")
async def show_robots(request: Req) -> Response[str]:
    sitemap = absolute_url(request, "public.sitemap")
    lines = [
        "User-agent: *",
        "Disallow: /app/",
        "Disallow: /account/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /recherche",
        "Allow: /",
        f"Sitemap: {sitemap}",
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain", headers=_sitemap_headers())


def _sitemap_headers() -> dict[str, str]:
    return {"cache-control": "public, max-age=3600"}


@get("/sitemap.xml", name="public.sitemap", opt=SHARED_PAGE)
async def show_sitemap_index(request: Req) -> Response[bytes]:
    """The sitemap index: one file per SITEMAP_URLS company ids, so it scales to millions."""
    last = await queries.last_listed_company_id()
    files = [
        absolute_url(request, "public.sitemap_part", part=n)
        for n in range(last // SITEMAP_URLS + 1)
    ]
    pages = absolute_url(request, "public.sitemap_pages")
    body = render_xml("sitemapindex", "sitemap", [pages, *files])
    return Response(body, media_type="application/xml", headers=_sitemap_headers())


@get("/sitemaps/pages.xml", name="public.sitemap_pages", opt=SHARED_PAGE)
async def show_sitemap_pages(request: Req) -> Response[bytes]:
    names = ("public.home", "public.score_method", "public.legal_notice", "public.terms")
    urls = [absolute_url(request, name) for name in names]
    return Response(render_xml("urlset", "url", urls), media_type="application/xml")


@get("/sitemaps/entreprises/{part:int}", name="public.sitemap_part", opt=SHARED_PAGE)
async def show_sitemap_part(request: Req, part: FromPath[int]) -> Response[bytes]:
    """The indexable company pages whose id falls in this part's range."""
    if part < 0 or part > 10_000:
        raise NotFoundException()
    listed = await queries.listed_companies(part * SITEMAP_URLS, (part + 1) * SITEMAP_URLS)
    urls = [absolute_url(request, "public.company", reference=reference) for reference in listed]
    return Response(
        render_xml("urlset", "url", urls), media_type="application/xml", headers=_sitemap_headers()
    )


def render_xml(root: str, item: str, locations: list[str]) -> bytes:
    """A sitemap (`urlset`/`url`) or a sitemap index (`sitemapindex`/`sitemap`)."""
    entries = "".join(f"<{item}><loc>{escape(location)}</loc></{item}>" for location in locations)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{root}>\n'
    ).encode()


ROUTES = [
    show_home,
    show_search,
    show_company,
    show_score_method,
    choose_locale,
    show_robots,
    show_sitemap_index,
    show_sitemap_pages,
    show_sitemap_part,
]

"""The public JSON API: the same company data as the public pages, for programs.

Anonymous and read-only, limited per client address (429 with Retry-After). A sole trader
or a partly masked unit answers with its SIREN and commune only, and no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath, Parameter

from app.companies.rules import QueryKind, parse_query, siren_problem
from app.companies.search import MOST_RESULTS, PER_PAGE, search_companies
from app.public import queries
from app.public.cache import SHARED_PAGE
from app.web import absolute_url, client_ip, settings_of

Req = Request[Any, Any, Any]

PAGE_MAX = MOST_RESULTS // PER_PAGE  # the pages the search ranks
LIMIT_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class ApiScore:
    value: int
    band: str
    confidence: str
    verified_outcomes: int
    declared_outcomes: int
    creditors: int
    computed_at: datetime


@dataclass(frozen=True)
class ApiMonth:
    month: date
    value: int | None


@dataclass(frozen=True)
class ApiCompany:
    """A company as the API shows it; `restricted` ones carry SIREN and commune only."""

    siren: str
    commune: str
    restricted: bool
    url: str
    name: str | None = None
    sigle: str | None = None
    naf_code: str | None = None
    legal_category: str | None = None
    postcode: str | None = None
    departement: str | None = None
    is_active: bool | None = None
    score: ApiScore | None = None
    history: list[ApiMonth] | None = None


@dataclass(frozen=True)
class ApiRestrictedCompany:
    """A sole trader or a partly masked unit: no name, no details and never a score."""

    siren: str
    commune: str
    restricted: bool = True
    url: str = ""
    score: None = None


@dataclass(frozen=True)
class ApiSearchHit:
    siren: str
    commune: str
    restricted: bool
    url: str
    name: str | None = None
    is_active: bool | None = None
    score: int | None = None


@dataclass(frozen=True)
class ApiSearchPage:
    query: str
    page: int
    has_more: bool
    results: list[ApiSearchHit]


@dataclass(frozen=True)
class ApiError:
    error: str


def _error(status: int, message: str, **headers: str) -> Response[ApiError]:
    return Response(ApiError(error=message), status_code=status, headers=headers)


async def _over_limit(request: Req) -> Response[ApiError] | None:
    """Count this call for its client address; the 429 to answer when over the limit."""
    hit = await request.app.state.limiter.hit_in_window(
        "api",
        client_ip(request),
        limit=settings_of(request).api_requests_per_minute,
        window_seconds=LIMIT_WINDOW_SECONDS,
        now=request.app.state.clock.now(),
    )
    if hit.allowed:
        return None
    wait = max(1, int((hit.resets_at - request.app.state.clock.now()).total_seconds()))
    return _error(429, "too many requests: slow down", **{"retry-after": str(wait)})


def _page_url(request: Req, reference: str) -> str:
    return absolute_url(request, "public.company", reference=reference)


@get(
    "/companies",
    name="api.companies",
    summary="Search companies by name, SIREN, SIRET or VAT number",
    opt=SHARED_PAGE,
)
async def search(
    request: Req,
    q: Annotated[str, Parameter(description="a name, SIREN, SIRET or VAT number")] = "",
    page: Annotated[int, Parameter(ge=1, le=PAGE_MAX)] = 1,
) -> Response[ApiSearchPage] | Response[ApiError]:
    refused = await _over_limit(request)
    if refused is not None:
        return refused
    query = parse_query(q[:1000])
    if query.kind is QueryKind.EMPTY:
        return Response(ApiSearchPage(query=q[:200], page=page, has_more=False, results=[]))
    found = await search_companies(query, page=page)
    scores = await queries.scores_of([hit.siren for hit in found.hits])
    results = []
    for hit in found.hits:
        url = _page_url(request, hit.reference)
        if hit.is_restricted:
            results.append(ApiSearchHit(hit.siren, hit.commune, True, url))
        else:
            results.append(
                ApiSearchHit(
                    hit.siren,
                    hit.commune,
                    False,
                    url,
                    hit.name,
                    hit.is_active,
                    scores.get(hit.siren),
                )
            )
    return Response(
        ApiSearchPage(query=q[:200], page=found.page, has_more=found.has_more, results=results)
    )


@get(
    "/companies/{siren:str}",
    name="api.company",
    summary="One company and its payer score",
    opt=SHARED_PAGE,
)
async def show(
    request: Req, siren: FromPath[str]
) -> Response[ApiCompany] | Response[ApiRestrictedCompany] | Response[ApiError]:
    refused = await _over_limit(request)
    if refused is not None:
        return refused
    if siren_problem(siren) is not None or len(siren) != 9:
        return _error(400, "not a SIREN: nine digits with a valid check digit")
    found = await queries.company_row(siren)
    if found is None:
        return _error(404, "no company with this SIREN")
    company_id, identity = found
    url = _page_url(request, identity.reference)
    if identity.is_restricted:
        return Response(ApiRestrictedCompany(identity.siren, identity.commune, url=url))
    page = await queries.company_page(company_id, identity)
    stored = page.score
    score = None
    if stored is not None and stored.value is not None and stored.band and stored.confidence:
        score = ApiScore(
            value=stored.value,
            band=stored.band.value,
            confidence=stored.confidence.value,
            verified_outcomes=stored.verified_count,
            declared_outcomes=stored.declared_count,
            creditors=stored.creditors,
            computed_at=stored.computed_at,
        )
    return Response(
        ApiCompany(
            siren=identity.siren,
            commune=identity.commune,
            restricted=False,
            url=url,
            name=identity.name,
            sigle=identity.sigle,
            naf_code=identity.naf_code,
            legal_category=identity.legal_category,
            postcode=identity.postcode,
            departement=identity.departement,
            is_active=identity.is_active,
            score=score,
            history=[ApiMonth(m.month, m.value) for m in stored.history] if stored else [],
        ),
        headers={"cache-control": "public, max-age=0, s-maxage=5"},
    )


router = Router(path="/api/v1", route_handlers=[search, show], tags=["companies"])

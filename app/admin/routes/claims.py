"""SIREN claims review: the list, one claim, accept or reject it with a reason."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import paths
from app.accounts.guards import clock_of, identity_of, requires_platform_admin
from app.accounts.service import claims as service
from app.admin import queries
from app.admin.forms import STATUSES, parse_decision, parse_status_filter
from app.errors import N_, Conflict, DomainError
from app.forms import Form
from app.web import (
    client_ip,
    flash,
    form_address,
    form_data,
    redirect_to,
    render,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]


def _reviewer(request: Req) -> service.Reviewer:
    identity = identity_of(request)
    return service.Reviewer(
        user_id=identity.user_id,
        email=identity.email,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


def _mailer(request: Req) -> service.Mailer:
    return service.Mailer(request.app.state.queue, settings_of(request).base_url)


@get("/admin/claims", name="admin.claims")
async def list_claims(request: Req) -> Template:
    status = parse_status_filter(dict(request.query_params))
    return render(
        request,
        "admin/claims.html",
        identity=identity_of(request),
        claims=await queries.claims(status),
        status=status,
        statuses=STATUSES,
    )


async def _claim_page(
    request: Req, claim_id: int, *, form: Form | None = None, status_code: int = 200
) -> Template:
    return render(
        request,
        "admin/claim.html",
        identity=identity_of(request),
        claim=await queries.claim_detail(claim_id),
        form=form or Form({}),
        status_code=status_code,
    )


@get(paths.ADMIN_CLAIM, name="admin.claim")
async def show_claim(request: Req, claim_id: FromPath[int]) -> Template:
    return await _claim_page(request, claim_id)


async def _decide(request: Req, claim_id: int, *, accept: bool) -> Response[Any]:
    form = parse_decision(await form_data(request))
    if form.is_valid:
        decide = service.accept_claim if accept else service.reject_claim
        try:
            await decide(
                claim_id=claim_id,
                reviewer=_reviewer(request),
                reason=form.get("reason"),
                clock=clock_of(request),
                mailer=_mailer(request),
            )
        except Conflict as error:
            form.errors["form"] = error.message
            return await _claim_page(request, claim_id, form=form, status_code=409)
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            form.add_error(error)
        else:
            notice = (
                N_("Demande acceptée : le SIREN est attribué au demandeur.")
                if accept
                else N_("Demande refusée : le demandeur a reçu vos explications.")
            )
            flash(request, notice, "success")
            return redirect_to(request, "admin.claim", claim_id=claim_id)
    return await _claim_page(request, claim_id, form=form, status_code=422)


@post("/admin/claims/{claim_id:int}/accept", name="admin.claim_accept")
async def accept_claim(request: Req, claim_id: FromPath[int]) -> Response[Any]:
    return await _decide(request, claim_id, accept=True)


@post("/admin/claims/{claim_id:int}/reject", name="admin.claim_reject")
async def reject_claim(request: Req, claim_id: FromPath[int]) -> Response[Any]:
    return await _decide(request, claim_id, accept=False)


# The addresses forms post to, reloaded or bookmarked (see form_address).
FORM_ADDRESSES = [
    form_address(
        "/admin/claims/{claim_id:int}/accept", page="admin.claim", name="admin.claim_accept_page"
    ),
    form_address(
        "/admin/claims/{claim_id:int}/reject", page="admin.claim", name="admin.claim_reject_page"
    ),
]

router = Router(
    path="/",
    route_handlers=[*FORM_ADDRESSES, list_claims, show_claim, accept_claim, reject_claim],
    guards=[requires_platform_admin],
    include_in_schema=False,
)

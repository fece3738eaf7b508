"""The "SIREN taken" page and a creditor's own SIREN claims: file one, follow it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import paths, queries
from app.accounts.forms import parse_claim
from app.accounts.guards import clock_of, identity_of, requires_login
from app.accounts.service import claims as service
from app.errors import N_, DomainError
from app.forms import Form
from app.web import (
    client_ip,
    count_attempt,
    flash,
    form_data,
    redirect_to,
    render,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]

CLAIMS_PER_DAY = 5  # per user: enough to correct a mistake, too few to flood the reviewers
DAY_SECONDS = 24 * 3600


@get(paths.SIREN_TAKEN, name="accounts.siren_taken", guards=[requires_login])
async def show_siren_taken(request: Req) -> Response[Any]:
    identity = identity_of(request)
    siren_request = await queries.siren_request_of(identity.user_id)
    if siren_request is None:
        return redirect_to(request, "accounts.dashboard")
    claims = [
        c for c in await queries.claims_of(identity.user_id) if c.siren == siren_request.siren
    ]
    return render(
        request,
        "accounts/siren_taken.html",
        identity=identity,
        siren_request=siren_request,
        claims=claims,
    )


@get("/claims", name="accounts.claims", guards=[requires_login])
async def list_claims(request: Req) -> Template:
    identity = identity_of(request)
    return render(
        request,
        "accounts/claims.html",
        identity=identity,
        claims=await queries.claims_of(identity.user_id),
    )


@get("/claims/new", name="accounts.claim_new", guards=[requires_login])
async def show_claim_form(request: Req) -> Template:
    identity = identity_of(request)
    siren_request = await queries.siren_request_of(identity.user_id)
    initial = {"claimant_name": identity.full_name}
    if siren_request is not None:
        initial.update(siren=siren_request.siren, organisation_name=siren_request.organisation_name)
    return render(request, "accounts/claim_new.html", identity=identity, form=Form(initial))


@post("/claims", name="accounts.claim_submit", guards=[requires_login])
async def file_claim(request: Req) -> Response[Any]:
    identity = identity_of(request)
    form = parse_claim(await form_data(request))
    if form.is_valid:
        await count_attempt(
            request,
            "siren_claim",
            CLAIMS_PER_DAY,
            key=f"user:{identity.user_id}",
            window_seconds=DAY_SECONDS,
        )
        try:
            claim_id = await service.file_claim(
                user_id=identity.user_id,
                siren=form.get("siren"),
                organisation_name=form.get("organisation_name"),
                claimant_name=form.get("claimant_name"),
                claimant_role=form.get("claimant_role"),
                explanation=form.get("explanation"),
                clock=clock_of(request),
                mailer=service.Mailer(request.app.state.queue, settings_of(request).base_url),
                ip=client_ip(request),
                user_agent=user_agent(request),
            )
        except DomainError as error:
            if error.status_code == 403:
                raise
            form.add_error(error)
        else:
            flash(
                request,
                N_("Votre demande est enregistrée : nous vous écrirons dès qu'elle sera examinée."),
                "success",
            )
            return redirect_to(request, "accounts.claim", claim_id=claim_id)
    return render(request, "accounts/claim_new.html", identity=identity, form=form, status_code=422)


@get(paths.CLAIM, name="accounts.claim", guards=[requires_login])
async def show_claim(request: Req, claim_id: FromPath[int]) -> Template:
    identity = identity_of(request)
    claim = await queries.claim_of(identity.user_id, claim_id)
    return render(request, "accounts/claim.html", identity=identity, claim=claim)


router = Router(
    path="/",
    route_handlers=[show_siren_taken, list_claims, show_claim_form, file_claim, show_claim],
    include_in_schema=False,
)

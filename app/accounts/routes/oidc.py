"""Log in with an OpenID Connect provider (Google, Microsoft...), and sign up that way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.forms import parse_provider_signup
from app.accounts.guards import clock_of, finish_login
from app.accounts.oidc import OidcProvider
from app.accounts.service import oidc as service
from app.errors import N_, DomainError
from app.forms import Form
from app.web import (
    absolute_url,
    client_ip,
    flash,
    form_data,
    mutable_session,
    redirect_to,
    render,
    safe_next,
)

Req = Request[Any, Any, Any]

PENDING_KEY = "oidc_pending"
SIGNUP_KEY = "oidc_signup"
_SIGNUP_FIELDS = ("full_name", "organisation_name", "siren")


def _provider(request: Req, name: str) -> OidcProvider:
    providers: Mapping[str, OidcProvider] = request.app.state.oidc_providers
    provider = providers.get(name)
    if provider is None:
        raise NotFoundException()
    return provider


def _user_agent(request: Req) -> str:
    return request.headers.get("user-agent", "")


def _failure(request: Req, provider: OidcProvider, error: DomainError) -> Template:
    return render(
        request,
        "accounts/oidc_failed.html",
        message=error.message,
        provider=provider.label,
        status_code=error.status_code,
    )


@get("/auth/{provider:str}/start", name="accounts.oidc_start")
async def start_oidc_login(
    request: Req, provider: FromPath[str], next: FromQuery[str | None] = None
) -> Response[Any]:
    chosen = _provider(request, provider)
    try:
        url, pending = await service.start_provider_login(
            provider=chosen,
            redirect_uri=absolute_url(request, "accounts.oidc_callback", provider=chosen.name),
            clock=clock_of(request),
            ip=client_ip(request),
            user_agent=_user_agent(request),
        )
    except DomainError as error:
        return _failure(request, chosen, error)
    mutable_session(request)[PENDING_KEY] = {"login": pending, "next": safe_next(next, "")}
    return Redirect(path=url, status_code=303)


@get("/auth/{provider:str}/callback", name="accounts.oidc_callback")
async def finish_oidc_login(request: Req, provider: FromPath[str]) -> Response[Any]:
    chosen = _provider(request, provider)
    stored = mutable_session(request).pop(
        PENDING_KEY, None
    )  # first: a replayed callback finds nothing
    pending, next_url = _read_pending(stored)
    try:
        outcome = await service.log_in_with_provider(
            provider=chosen,
            pending=pending,
            params={key: str(value) for key, value in request.query_params.items()},
            next_url=next_url,
            clock=clock_of(request),
            ip=client_ip(request),
            user_agent=_user_agent(request),
        )
    except DomainError as error:
        return _failure(request, chosen, error)
    if outcome.user is not None:
        return await finish_login(
            request, outcome.user, next_url=next_url, method=f"oidc:{chosen.name}"
        )
    assert outcome.signup is not None  # noqa: S101 (an outcome is a user or a signup)
    mutable_session(request)[SIGNUP_KEY] = outcome.signup.to_session()
    return redirect_to(request, "accounts.oidc_complete")


def _read_pending(stored: object) -> tuple[dict[str, str] | None, str]:
    if not isinstance(stored, dict):
        return None, ""
    login = stored.get("login")
    pending = (
        {str(key): str(value) for key, value in login.items()} if isinstance(login, dict) else None
    )
    next_url = stored.get("next")
    return pending, next_url if isinstance(next_url, str) else ""


def _pending_signup(request: Req) -> service.PendingSignup | None:
    return service.PendingSignup.from_session(
        mutable_session(request).get(SIGNUP_KEY), now=clock_of(request).now()
    )


def _signup_expired(request: Req) -> Redirect:
    mutable_session(request).pop(SIGNUP_KEY, None)
    flash(request, N_("Votre inscription a expiré : recommencez la connexion."), "warning")
    return redirect_to(request, "accounts.login")


def _signup_page(
    request: Req, signup: service.PendingSignup, form: Form, status_code: int = 200
) -> Template:
    providers: Mapping[str, OidcProvider] = request.app.state.oidc_providers
    provider = providers.get(signup.provider)
    return render(
        request,
        "accounts/oidc_complete.html",
        form=form,
        email=signup.email,
        provider=provider.label if provider else signup.provider,
        status_code=status_code,
    )


@get("/auth/complete", name="accounts.oidc_complete")
async def show_provider_signup(request: Req) -> Response[Any]:
    signup = _pending_signup(request)
    if signup is None:
        return _signup_expired(request)
    return _signup_page(request, signup, Form({"full_name": signup.name}))


@post("/auth/complete", name="accounts.oidc_complete_submit")
async def complete_provider_signup(request: Req) -> Response[Any]:
    signup = _pending_signup(request)
    if signup is None:
        return _signup_expired(request)
    form = parse_provider_signup(await form_data(request))
    if form.is_valid:
        try:
            user = await service.register_with_provider(
                signup=signup,
                full_name=form.get("full_name"),
                organisation_name=form.get("organisation_name"),
                siren=form.get("siren"),
                locale=request.state.locale,
                clock=clock_of(request),
                ip=client_ip(request),
                user_agent=_user_agent(request),
            )
        except DomainError as error:
            form.errors[error.field or "form"] = error.message
        else:
            return await finish_login(
                request, user, next_url=signup.next_url, method=f"oidc:{signup.provider}"
            )
    return _signup_page(request, signup, form, status_code=422)


router = Router(
    path="/",
    route_handlers=[
        start_oidc_login,
        finish_oidc_login,
        show_provider_signup,
        complete_provider_signup,
    ],
    include_in_schema=False,
)

"""Log in with an OpenID Connect provider (Google, Microsoft...), sign up that way, or link the
provider to an existing account after its password; also the callback of links started from the
account page (routes/providers.py).

Until the provider answers, the pending login lives in a short-lived encrypted cookie, so an
anonymous visitor who starts a login costs no server-side session.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.forms import parse_password_check, parse_provider_signup
from app.accounts.guards import clock_of
from app.accounts.oidc import OidcProvider, provider_label
from app.accounts.service import oidc as service
from app.accounts.service import providers as linking
from app.accounts.web import (
    finish_login,
    forget_pending_login,
    provider_named,
    redirect_to_provider,
    send_provider_notice,
    take_pending_login,
)
from app.errors import N_, DomainError
from app.forms import Form
from app.i18n import gettext
from app.web import (
    absolute_url,
    client_ip,
    count_attempt,
    flash,
    form_data,
    mutable_session,
    passwords_of,
    redirect_to,
    refund_attempt,
    render,
    safe_next,
    settings_of,
    single_use_of,
    user_agent,
)

Req = Request[Any, Any, Any]

SIGNUP_KEY = "oidc_signup"
LINK_KEY = "oidc_link"


def _failure(
    request: Req, provider_name: str, error: DomainError, *, from_account: bool
) -> Template:
    return render(
        request,
        "accounts/oidc_failed.html",
        message=error.message,
        provider=provider_label(provider_name),
        from_account=from_account,
        status_code=error.status_code,
    )


# --- login, signup and the callback -----------------------------------------------------------


@get("/auth/{provider:str}/start", name="accounts.oidc_start")
async def start_oidc_login(
    request: Req, provider: FromPath[str], next: FromQuery[str | None] = None
) -> Response[Any]:
    chosen = provider_named(request, provider)
    await count_attempt(request, "oidc_start", settings_of(request).oidc_rate_limit)
    try:
        url, pending = await service.start_provider_login(
            provider=chosen,
            redirect_uri=absolute_url(request, "accounts.oidc_callback", provider=chosen.name),
            next_url=safe_next(next, ""),
            clock=clock_of(request),
            intent=service.Intent.LOGIN,
            user_id=0,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except DomainError as error:
        return _failure(request, chosen.name, error, from_account=False)
    return redirect_to_provider(request, url, pending)


@get("/auth/{provider:str}/callback", name="accounts.oidc_callback")
async def finish_oidc_login(request: Req, provider: FromPath[str]) -> Response[Any]:
    chosen = provider_named(request, provider)
    await count_attempt(request, "oidc_callback", settings_of(request).oidc_rate_limit)
    pending = take_pending_login(request)
    params = {key: str(value) for key, value in request.query_params.items()}
    linking = pending is not None and pending.intent == service.Intent.LINK
    response: Response[Any]
    try:
        if linking:
            response = await _link_from_account(request, chosen, pending, params)
        else:
            response = await _log_in(request, chosen, pending, params)
    except DomainError as error:
        response = _failure(request, chosen.name, error, from_account=linking)
    forget_pending_login(request, response)
    return response


async def _log_in(
    request: Req,
    provider: OidcProvider,
    pending: service.PendingProviderLogin | None,
    params: dict[str, str],
) -> Response[Any]:
    outcome = await service.log_in_with_provider(
        provider=provider,
        pending=pending,
        params=params,
        single_use=single_use_of(request),
        clock=clock_of(request),
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    if outcome.user is not None:
        next_url = pending.next_url if pending else ""
        return await finish_login(
            request, outcome.user, next_url=next_url, method=f"oidc:{provider.name}"
        )
    if outcome.link is not None:
        mutable_session(request)[LINK_KEY] = outcome.link.to_session()
        return redirect_to(request, "accounts.oidc_link")
    assert outcome.signup is not None  # noqa: S101 (an outcome is a user, a link or a signup)
    mutable_session(request)[SIGNUP_KEY] = outcome.signup.to_session()
    return redirect_to(request, "accounts.oidc_complete")


async def _link_from_account(
    request: Req,
    provider: OidcProvider,
    pending: service.PendingProviderLogin | None,
    params: dict[str, str],
) -> Response[Any]:
    identity = getattr(request.state, "identity", None)
    change = await linking.link_from_account(
        provider=provider,
        pending=pending,
        params=params,
        user_id=identity.user_id if identity else None,
        single_use=single_use_of(request),
        clock=clock_of(request),
        organisation_id=identity.organisation_id if identity else None,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    locale = request.state.locale
    if change.changed:
        await send_provider_notice(request, change, linked=True)
        message = N_("%(provider)s est maintenant relié à votre compte.")
        flash(request, gettext(locale, message, provider=provider.label), "success")
    else:
        flash(request, gettext(locale, linking.ALREADY_LINKED, provider=provider.label), "info")
    return redirect_to(request, "accounts.settings")


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
    return render(
        request,
        "accounts/oidc_complete.html",
        form=form,
        email=signup.email,
        provider=provider_label(signup.provider),
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
                user_agent=user_agent(request),
            )
        except DomainError as error:
            form.add_error(error)
        else:
            return await finish_login(
                request, user, next_url=signup.next_url, method=f"oidc:{signup.provider}"
            )
    return _signup_page(request, signup, form, status_code=422)


# --- a provider login that found an existing account: its password first ----------------------


def _pending_link(request: Req) -> service.ProviderLink | None:
    return service.ProviderLink.from_session(
        mutable_session(request).get(LINK_KEY), now=clock_of(request).now()
    )


def _link_expired(request: Req) -> Redirect:
    mutable_session(request).pop(LINK_KEY, None)
    flash(request, N_("La liaison a expiré : recommencez la connexion."), "warning")
    return redirect_to(request, "accounts.login")


def _link_page(
    request: Req, link: service.ProviderLink, form: Form, status_code: int = 200
) -> Template:
    return render(
        request,
        "accounts/oidc_link.html",
        form=form,
        email=link.email,
        provider=provider_label(link.provider),
        status_code=status_code,
    )


@get("/auth/link", name="accounts.oidc_link")
async def show_link_with_password(request: Req) -> Response[Any]:
    link = _pending_link(request)
    if link is None:
        return _link_expired(request)
    return _link_page(request, link, Form({}))


@post("/auth/link", name="accounts.oidc_link_submit")
async def link_with_password(request: Req) -> Response[Any]:
    await count_attempt(request, "oidc_link_password", settings_of(request).login_rate_limit)
    link = _pending_link(request)
    if link is None:
        return _link_expired(request)
    form = parse_password_check(await form_data(request))
    try:
        user = await linking.prove_link_with_password(
            link=link,
            password=form.values["password"],
            passwords=passwords_of(request),
            clock=clock_of(request),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except DomainError as error:
        return _link_page(request, link, Form({}, {}).add_error(error), status_code=422)
    await refund_attempt(request, "oidc_link_password")  # only wrong passwords use it up
    try:
        return await finish_login(
            request, user, next_url=link.next_url, method=f"oidc:{link.provider}", link=link
        )
    except DomainError as error:
        return _failure(request, link.provider, error, from_account=False)


router = Router(
    path="/",
    route_handlers=[
        start_oidc_login,
        finish_oidc_login,
        show_provider_signup,
        complete_provider_signup,
        show_link_with_password,
        link_with_password,
    ],
    include_in_schema=False,
)

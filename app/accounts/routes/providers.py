"""The account page's sign-in providers: link another one, or unlink one.

Linking asks the account's owner to prove themselves again (the password, or a recent login for
accounts without one), then runs the provider's login with a `link` intent; its callback is the
provider login's own (routes/oidc.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import queries
from app.accounts.forms import parse_password_check
from app.accounts.guards import clock_of, identity_of, requires_login
from app.accounts.oidc import OidcProvider, provider_label
from app.accounts.service import providers as linking
from app.accounts.web import (
    account_checks,
    account_page_context,
    authenticated_at,
    provider_named,
    redirect_to_provider,
    send_provider_notice,
)
from app.errors import N_, DomainError, NotFound
from app.forms import Form
from app.i18n import gettext
from app.web import (
    absolute_url,
    client_ip,
    count_attempt,
    flash,
    form_data,
    passwords_of,
    redirect_to,
    refund_attempt,
    render,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]


async def _provider_link_page(
    request: Req, provider: OidcProvider, form: Form, status_code: int = 200
) -> Template:
    identity = identity_of(request)
    recent = linking.is_recent_login(authenticated_at(request), now=clock_of(request).now())
    can_continue = identity.has_password or recent
    if not can_continue and not form.errors:  # the page says why before anyone posts
        form = Form({}, {"form": linking.LOG_IN_AGAIN})
    return render(
        request,
        "accounts/provider_link.html",
        form=form,
        provider=provider,
        can_continue=can_continue,
        status_code=status_code,
        **await account_page_context(request),
    )


@get(
    "/account/providers/{provider:str}/link", name="accounts.provider_link", guards=[requires_login]
)
async def show_provider_link(request: Req, provider: FromPath[str]) -> Response[Any]:
    return await _provider_link_page(request, provider_named(request, provider), Form({}))


@post(
    "/account/providers/{provider:str}/link",
    name="accounts.provider_link_submit",
    guards=[requires_login],
)
async def start_provider_link(request: Req, provider: FromPath[str]) -> Response[Any]:
    chosen = provider_named(request, provider)
    await count_attempt(request, "oidc_link_password", settings_of(request).login_rate_limit)
    form = parse_password_check(await form_data(request))
    try:
        url, pending = await linking.start_provider_link(
            provider=chosen,
            redirect_uri=absolute_url(request, "accounts.oidc_callback", provider=chosen.name),
            user_id=identity_of(request).user_id,
            password=form.values["password"],
            authenticated_at=authenticated_at(request),
            passwords=passwords_of(request),
            checks=account_checks(request),
            clock=clock_of(request),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except DomainError as error:
        failed = Form({}).add_error(error)
        return await _provider_link_page(request, chosen, failed, status_code=422)
    await refund_attempt(request, "oidc_link_password")
    return redirect_to_provider(request, url, pending)


async def _linked_provider(request: Req, identity_id: int) -> queries.LinkedProvider:
    context = await account_page_context(request)
    sign_in: queries.SignInMethods = context["sign_in"]
    for linked in sign_in.linked:
        if linked.identity_id == identity_id:
            return linked
    raise NotFound(linking.IDENTITY_NOT_FOUND)


@get(
    "/account/providers/{identity_id:int}/unlink",
    name="accounts.provider_unlink",
    guards=[requires_login],
)
async def confirm_provider_unlink(request: Req, identity_id: FromPath[int]) -> Template:
    linked = await _linked_provider(request, identity_id)
    return render(request, "accounts/provider_unlink.html", linked=linked)


@post(
    "/account/providers/{identity_id:int}/unlink",
    name="accounts.provider_unlink_submit",
    guards=[requires_login],
)
async def unlink_provider(request: Req, identity_id: FromPath[int]) -> Response[Any]:
    identity = identity_of(request)
    try:
        change = await linking.unlink_identity(
            user_id=identity.user_id,
            identity_id=identity_id,
            clock=clock_of(request),
            organisation_id=identity.organisation_id,
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except NotFound:
        raise
    except DomainError as error:
        linked = await _linked_provider(request, identity_id)
        return render(
            request,
            "accounts/provider_unlink.html",
            linked=linked,
            error=error.message,
            status_code=error.status_code,
        )
    await send_provider_notice(request, change, linked=False)
    label = provider_label(change.provider)
    message = gettext(
        request.state.locale, N_("%(provider)s est dissocié de votre compte."), provider=label
    )
    flash(request, message, "success")
    return redirect_to(request, "accounts.settings")


router = Router(
    path="/",
    route_handlers=[
        show_provider_link,
        start_provider_link,
        confirm_provider_unlink,
        unlink_provider,
    ],
    include_in_schema=False,
)

"""Closing one's own account: the page that says what goes with it, and the closing."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.response import Template

from app.accounts.forms import parse_account_closure
from app.accounts.guards import clock_of, identity_of, requires_login
from app.accounts.service import closure as service
from app.accounts.web import account_checks
from app.errors import N_, Conflict, DomainError
from app.forms import Form
from app.messaging.email import queue_email
from app.web import (
    count_attempt,
    flash,
    form_data,
    passwords_of,
    redirect_to,
    refund_attempt,
    render,
    settings_of,
)

Req = Request[Any, Any, Any]
PATH = "/account/close"


@get(PATH, name="accounts.close_account_page", guards=[requires_login])
async def show_account_closure(request: Req) -> Template:
    return await _page(request, Form({}))


@post(PATH, name="accounts.close_account", guards=[requires_login])
async def close_account(request: Req) -> Response[Any]:
    await count_attempt(request, "account_close", settings_of(request).login_rate_limit)
    identity = identity_of(request)
    form = parse_account_closure(await form_data(request), has_password=identity.has_password)
    if not form.is_valid:
        return await _page(request, form, status_code=422)
    try:
        closed = await service.close_account(
            user_id=identity.user_id,
            password=form.get("password"),
            confirm_email=form.get("confirm_email"),
            passwords=passwords_of(request),
            checks=account_checks(request),
            clock=clock_of(request),
        )
    except Conflict as error:
        return await _page(request, Form({}).add_error(error), status_code=409)
    except DomainError as error:
        return await _page(request, form.add_error(error), status_code=422)
    await refund_attempt(request, "account_close")
    await queue_email(
        request.app.state.queue,
        template="account_closed",
        to=closed.email,
        subject=N_("Votre compte Ponctuel est fermé"),
        locale=closed.locale,
        recipient_name=closed.full_name,
        organisations=closed.deleted,
        contact_email=settings_of(request).operator_email,
    )
    request.clear_session()
    flash(request, N_("Votre compte est fermé. Merci d'avoir utilisé Ponctuel."), "success")
    return redirect_to(request, "public.home")


async def _page(request: Req, form: Form, *, status_code: int = 200) -> Template:
    closure = await service.closure_of(identity_of(request).user_id)
    return render(
        request, "accounts/close_account.html", form=form, closure=closure, status_code=status_code
    )


router = Router(
    path="/", route_handlers=[show_account_closure, close_account], include_in_schema=False
)

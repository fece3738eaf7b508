"""Two-factor authentication pages: setup, the login's second step, disabling, recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect, Template

from app.accounts.forms import (
    parse_recovery_regeneration,
    parse_second_factor,
    parse_totp_disable,
    parse_totp_setup,
)
from app.accounts.guards import clock_of, identity_of, requires_login
from app.accounts.service import totp as service
from app.accounts.web import account_checks, account_page_context, open_session
from app.errors import N_, Conflict, DomainError
from app.forms import Form
from app.i18n import gettext
from app.web import (
    client_ip,
    count_attempt,
    data_keys_of,
    flash,
    form_address,
    form_data,
    passwords_of,
    redirect_to,
    render,
    safe_next,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]

PENDING_SECRET = "totp_pending_secret"  # noqa: S105 (the session key of the seed being set up)
PENDING_LOGIN_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class PendingLogin:
    """A login whose password (or identity provider) step passed and which awaits its code."""

    user_id: int
    method: str
    next_url: str


def _origin(request: Req) -> service.Origin:
    identity = getattr(request.state, "identity", None)
    return service.Origin(
        ip=client_ip(request),
        user_agent=user_agent(request),
        organisation_id=identity.organisation_id if identity else None,
    )


async def _reauth_limit(request: Req) -> None:
    await count_attempt(request, "totp_reauth", settings_of(request).login_rate_limit)


# --- setup ----------------------------------------------------------------------------------


def _setup_page(request: Req, secret: str, form: Form, status_code: int = 200) -> Template:
    enrolment = service.enrolment_for(email=identity_of(request).email, secret=secret)
    return render(
        request,
        "accounts/totp_setup.html",
        enrolment=enrolment,
        form=form,
        status_code=status_code,
    )


@get("/account/2fa/setup", name="accounts.totp_setup", guards=[requires_login])
async def show_totp_setup(request: Req) -> Response[Any]:
    if identity_of(request).has_totp:
        flash(request, N_("La double authentification est déjà activée."), "info")
        return redirect_to(request, "accounts.settings")
    secret = request.session.get(PENDING_SECRET)
    if not isinstance(secret, str):
        secret = service.new_totp_secret()
        request.set_session({**request.session, PENDING_SECRET: secret})
    return _setup_page(request, secret, Form({}))


@post("/account/2fa/setup", name="accounts.totp_setup_submit", guards=[requires_login])
async def enable_totp(request: Req) -> Response[Any]:
    await _reauth_limit(request)
    secret = request.session.get(PENDING_SECRET)
    if not isinstance(secret, str):
        flash(request, N_("La configuration a expiré : scannez le nouveau QR code."), "error")
        return redirect_to(request, "accounts.totp_setup")
    form = parse_totp_setup(
        await form_data(request), has_password=identity_of(request).has_password
    )
    if not form.is_valid:
        return _setup_page(request, secret, Form({}, form.errors), status_code=422)
    try:
        codes = await service.enable_totp(
            user_id=identity_of(request).user_id,
            secret=secret,
            code=form.get("code"),
            password=form.get("password"),
            passwords=passwords_of(request),
            keys=data_keys_of(request),
            clock=clock_of(request),
            origin=_origin(request),
            checks=account_checks(request),
        )
    except DomainError as error:
        form = Form({}).add_error(error)
        return _setup_page(request, secret, form, status_code=422)
    request.session.pop(PENDING_SECRET, None)
    return render(request, "accounts/totp_recovery_codes.html", codes=codes)


# --- the login's second step ----------------------------------------------------------------


def _pending_login(request: Req) -> PendingLogin | None:
    """The login waiting for its code, unless it is missing or older than five minutes."""
    session = request.session
    user_id, started_at = session.get("pending_uid"), session.get("pending_at")
    method, next_url = session.get("pending_method"), session.get("next")
    if not (
        isinstance(user_id, int)
        and isinstance(started_at, str)
        and isinstance(method, str)
        and isinstance(next_url, str)
    ):
        return None
    if clock_of(request).now() - datetime.fromisoformat(started_at) > PENDING_LOGIN_TTL:
        return None
    default = request.app.route_reverse("accounts.dashboard")
    return PendingLogin(user_id=user_id, method=method, next_url=safe_next(next_url, default))


def _log_in_again(request: Req) -> Redirect:
    request.clear_session()
    flash(request, N_("La vérification a expiré. Connectez-vous à nouveau."), "error")
    return redirect_to(request, "accounts.login")


def _recovery_codes_message(request: Req, left: int) -> str:
    """Recovery-code logins tell the user how many codes remain (already translated)."""
    locale = request.state.locale
    if left == 0:
        message = N_(
            "Vous avez utilisé votre dernier code de secours : générez-en de nouveaux "
            "depuis « Mon compte »."
        )
        return gettext(locale, message)
    if left == 1:
        return gettext(locale, N_("Code de secours accepté. Il vous reste 1 code de secours."))
    message = N_("Code de secours accepté. Il vous reste %(count)s codes de secours.")
    return gettext(locale, message, count=left)


@get("/login/2fa", name="accounts.login_totp")
async def show_login_totp(request: Req) -> Response[Any]:
    if getattr(request.state, "identity", None) is not None:
        return redirect_to(request, "accounts.dashboard")
    if _pending_login(request) is None:
        return _log_in_again(request)
    return render(request, "accounts/login_totp.html", form=Form({}))


@post("/login/2fa", name="accounts.login_totp_submit")
async def verify_login_code(request: Req) -> Response[Any]:
    await count_attempt(request, "login_totp", settings_of(request).login_rate_limit)
    pending = _pending_login(request)
    if pending is None:
        return _log_in_again(request)
    form = parse_second_factor(await form_data(request))
    if not form.is_valid:
        return render(request, "accounts/login_totp.html", form=form, status_code=422)
    try:
        used = await service.check_second_factor(
            user_id=pending.user_id,
            code=form.get("code"),
            keys=data_keys_of(request),
            clock=clock_of(request),
            origin=_origin(request),
            checks=account_checks(request),
        )
    except DomainError as error:
        form = Form({}, {}).add_error(error)
        return render(request, "accounts/login_totp.html", form=form, status_code=422)
    second = "totp" if used.recovery_codes_left is None else "recovery_code"
    await open_session(request, used.user, method=f"{pending.method}+{second}")
    if used.recovery_codes_left is not None:
        flash(request, _recovery_codes_message(request, used.recovery_codes_left), "warning")
    return Redirect(path=pending.next_url, status_code=303)


# --- disable and new recovery codes ---------------------------------------------------------


async def _settings_page(request: Req, **forms: Form) -> Template:
    """The account page again, with the refused 2FA form showing its error."""
    context: dict[str, Any] = {"form": Form({}), **forms, **await account_page_context(request)}
    return render(request, "accounts/settings.html", status_code=422, **context)


def _back_to_settings(request: Req, error: DomainError) -> Response[Any]:
    """A 2FA form sent while 2FA is off: the page no longer has that form, so say it in a flash."""
    flash(request, error.message, "error")
    return redirect_to(request, "accounts.settings")


def _errors(prefix: str, error: DomainError) -> Form:
    """Field names carry the form's prefix, so the page's two 2FA forms keep distinct ids."""
    return Form({}, {f"{prefix}_{error.field}" if error.field else "form": error.message})


@post("/account/2fa/disable", name="accounts.totp_disable", guards=[requires_login])
async def disable_totp(request: Req) -> Response[Any]:
    await _reauth_limit(request)
    form = parse_totp_disable(
        await form_data(request), has_password=identity_of(request).has_password
    )
    if not form.is_valid:
        return await _settings_page(request, disable_form=Form({}, form.errors))
    try:
        await service.disable_totp(
            user_id=identity_of(request).user_id,
            password=form.get("disable_password"),
            code=form.get("disable_code"),
            passwords=passwords_of(request),
            keys=data_keys_of(request),
            clock=clock_of(request),
            origin=_origin(request),
            checks=account_checks(request),
        )
    except Conflict as error:  # already off (a page left open elsewhere): nothing to show
        return _back_to_settings(request, error)
    except DomainError as error:
        return await _settings_page(request, disable_form=_errors("disable", error))
    flash(request, N_("La double authentification est désactivée."), "success")
    return redirect_to(request, "accounts.settings")


@post("/account/2fa/recovery-codes", name="accounts.totp_recovery_codes", guards=[requires_login])
async def regenerate_recovery_codes(request: Req) -> Response[Any]:
    await _reauth_limit(request)
    form = parse_recovery_regeneration(await form_data(request))
    if not form.is_valid:
        return await _settings_page(request, regenerate_form=Form({}, form.errors))
    try:
        codes = await service.regenerate_recovery_codes(
            user_id=identity_of(request).user_id,
            code=form.get("regenerate_code"),
            keys=data_keys_of(request),
            clock=clock_of(request),
            origin=_origin(request),
            checks=account_checks(request),
        )
    except Conflict as error:
        return _back_to_settings(request, error)
    except DomainError as error:
        return await _settings_page(request, regenerate_form=_errors("regenerate", error))
    return render(request, "accounts/totp_recovery_codes.html", codes=codes)


# The addresses forms post to, reloaded or bookmarked (see form_address).
FORM_ADDRESSES = [
    form_address(
        "/account/2fa/disable", page="accounts.settings", name="accounts.totp_disable_page"
    ),
    form_address(
        "/account/2fa/recovery-codes",
        page="accounts.settings",
        name="accounts.totp_recovery_codes_page",
    ),
]

router = Router(
    path="/",
    route_handlers=[
        *FORM_ADDRESSES,
        show_totp_setup,
        enable_totp,
        show_login_totp,
        verify_login_code,
        disable_totp,
        regenerate_recovery_codes,
    ],
    include_in_schema=False,
)

"""Sign up, email verification, login/logout, password reset and change, language choice."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts import paths, queries
from app.accounts.forms import (
    parse_change_password,
    parse_email_only,
    parse_locale,
    parse_login,
    parse_new_organisation,
    parse_new_password,
    parse_signup,
)
from app.accounts.guards import clock_of, identity_of, requires_login, start_session
from app.accounts.onboarding import Step, is_finished, onboarding
from app.accounts.service import auth as service
from app.accounts.service import signup as signup_service
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.web import account_checks, account_page_context, finish_login
from app.errors import N_, DomainError
from app.forms import Form
from app.i18n import gettext
from app.messaging.email import queue_email
from app.settings import LOCALES
from app.web import (
    absolute_url,
    client_ip,
    count_attempt,
    flash,
    form_address,
    form_data,
    locale_redirect,
    passwords_of,
    redirect_to,
    refund_attempt,
    render,
    route_names,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]


# --- sign up and verification -------------------------------------------------------------


@get("/signup", name="accounts.signup")
async def show_signup(request: Req) -> Template:
    return render(request, "accounts/signup.html", form=Form({}))


@post("/signup", name="accounts.signup_submit")
async def create_account(request: Req) -> Response[Any]:
    await count_attempt(request, "signup", settings_of(request).login_rate_limit * 2)
    form = parse_signup(await form_data(request))
    if form.is_valid:
        try:
            outcome = await signup_service.register_creditor(
                email=form.get("email"),
                password=form.values["password"],
                full_name=form.get("full_name"),
                organisation_name=form.get("organisation_name"),
                siren=form.get("siren"),
                locale=request.state.locale,
                passwords=passwords_of(request),
                clock=clock_of(request),
            )
        except DomainError as error:
            form.add_error(error)
        else:
            await _send_signup_email(
                request,
                token=outcome.verification_token,
                locale=outcome.locale,
                email=form.get("email"),
                full_name=form.get("full_name"),
                organisation_name=form.get("organisation_name"),
                siren=form.get("siren"),
            )
            return redirect_to(request, "accounts.signup_sent")
    return render(request, "accounts/signup.html", form=form, status_code=422)


async def _send_signup_email(
    request: Req,
    *,
    token: str | None,
    locale: str,
    email: str,
    full_name: str,
    organisation_name: str,
    siren: str,
) -> None:
    """The confirmation link, or a note to the owner of an address that has an account.

    The link greets the name typed at signup (no account holds the address yet); the note
    greets the account's own holder, whom the worker finds by the address.
    """
    queue = request.app.state.queue
    if token:
        await queue_email(
            queue,
            template="verify_email",
            to=email,
            subject=N_("Confirmez votre adresse e-mail"),
            locale=locale,
            link=absolute_url(request, "accounts.verify", token=token),
            recipient_name=full_name,
            organisation_name=organisation_name,
            siren=siren,
        )
    else:
        await queue_email(
            queue,
            template="account_exists",
            to=email,
            subject=N_("Vous avez déjà un compte Ponctuel"),
            locale=locale,
            login_link=absolute_url(request, "accounts.login"),
            reset_link=absolute_url(request, "accounts.forgot_password"),
        )


@get("/signup/sent", name="accounts.signup_sent")
async def show_signup_sent(request: Req) -> Template:
    return render(request, "accounts/signup_sent.html")


@get(paths.VERIFY_EMAIL, name="accounts.verify")
async def show_verify(request: Req, token: FromPath[str]) -> Template:
    return render(request, "accounts/verify.html", token=token, error=None)


@post(paths.VERIFY_EMAIL, name="accounts.verify_submit")
async def confirm_email(request: Req, token: FromPath[str]) -> Response[Any]:
    try:
        confirmation = await signup_service.confirm_email(
            secret=token,
            clock=clock_of(request),
            ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except DomainError as error:
        return render(
            request, "accounts/verify.html", token=token, error=error.message, status_code=400
        )
    if not confirmation.is_new_account:
        flash(
            request,
            N_("Votre adresse e-mail est confirmée. Vous pouvez vous connecter."),
            "success",
        )
        if getattr(request.state, "identity", None) is not None:
            return redirect_to(request, "accounts.dashboard")
        return redirect_to(request, "accounts.login")
    # The link proved the address of an account made from it just now: it opens a session,
    # as an invitation does for the account it creates.
    taken = confirmation.organisation_id is None
    response = await finish_login(
        request,
        confirmation.user,
        next_url=request.app.route_reverse(
            "accounts.siren_taken" if taken else "accounts.dashboard"
        ),
        method="email_confirmation",
    )
    if not taken:  # after the login, whose fresh session would drop it
        flash(
            request, N_("Votre adresse e-mail est confirmée : bienvenue sur Ponctuel !"), "success"
        )
    return response


# --- login and logout ---------------------------------------------------------------------


@get(paths.LOGIN, name="accounts.login")
async def show_login(request: Req, next: FromQuery[str | None] = None) -> Response[Any]:
    if getattr(request.state, "identity", None) is not None:
        return redirect_to(request, "accounts.dashboard")
    return render(request, "accounts/login.html", form=Form({"next": next or ""}))


@post(paths.LOGIN, name="accounts.login_submit")
async def log_in(request: Req) -> Response[Any]:
    await count_attempt(request, "login", settings_of(request).login_rate_limit)
    form = parse_login(await form_data(request))
    clock = clock_of(request)
    user = None
    if form.is_valid:
        user = await service.authenticate(
            email=form.get("email"),
            password=form.values["password"],
            passwords=passwords_of(request),
            clock=clock,
        )
    if user is None:
        await record_event(
            action=AuditAction.LOGIN_FAILED,
            clock=clock,
            actor_email=form.get("email"),
            target="password",
            ip=client_ip(request),
            user_agent=user_agent(request),
            is_success=False,
        )
        form.errors["form"] = N_("Adresse e-mail ou mot de passe incorrect.")
        return render(request, "accounts/login.html", form=form, status_code=422)
    await refund_attempt(request, "login")  # only wrong passwords use up the allowance
    if user.email_verified_at is None:
        token = await service.resend_verification(user_id=user.id, clock=clock)
        if token is not None:
            await _send_signup_email(  # an account made before confirmation: no company asked
                request,
                token=token,
                locale=user.locale,
                email=user.email,
                full_name=user.full_name,
                organisation_name="",
                siren="",
            )
        form.errors["form"] = N_(
            "Confirmez d'abord votre adresse e-mail : le lien de confirmation vous a été "
            "envoyé par e-mail."
        )
        return render(request, "accounts/login.html", form=form, status_code=422)
    return await finish_login(request, user, next_url=form.get("next"), method="password")


@post("/logout", name="accounts.logout")
async def log_out(request: Req) -> Redirect:
    request.clear_session()
    return redirect_to(request, "public.home")


# --- password reset and change ------------------------------------------------------------


@get(paths.FORGOT_PASSWORD, name="accounts.forgot_password")
async def show_forgot_password(request: Req) -> Template:
    return render(request, "accounts/forgot_password.html", form=Form({}))


@post(paths.FORGOT_PASSWORD, name="accounts.forgot_password_submit")
async def request_password_reset(request: Req) -> Response[Any]:
    await count_attempt(request, "reset", settings_of(request).login_rate_limit * 2)
    form = parse_email_only(await form_data(request))
    if not form.is_valid:
        return render(request, "accounts/forgot_password.html", form=form, status_code=422)
    await service.request_password_reset(
        queue=request.app.state.queue,
        email=form.get("email"),
        locale=request.state.locale,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
    return render(request, "accounts/forgot_password_sent.html", email=form.get("email"))


@get(paths.RESET_PASSWORD, name="accounts.reset_password")
async def show_reset_password(request: Req, token: FromPath[str]) -> Template:
    valid = await service.check_reset_token(secret=token, clock=clock_of(request))
    return render(
        request,
        "accounts/reset_password.html",
        token=token,
        form=Form({}),
        invalid=not valid,
        status_code=200 if valid else 400,
    )


@post(paths.RESET_PASSWORD, name="accounts.reset_password_submit")
async def set_new_password(request: Req, token: FromPath[str]) -> Response[Any]:
    # The address is the account's: the service checks the password against it.
    form = parse_new_password(await form_data(request), email="")
    if form.is_valid:
        try:
            await service.reset_password(
                secret=token,
                password=form.values["password"],
                passwords=passwords_of(request),
                clock=clock_of(request),
                ip=client_ip(request),
                user_agent=user_agent(request),
            )
        except DomainError as error:
            form.add_error(error)
        else:
            request.clear_session()
            flash(request, N_("Votre mot de passe a été modifié. Connectez-vous."), "success")
            return redirect_to(request, "accounts.login")
    return render(
        request,
        "accounts/reset_password.html",
        token=token,
        form=form,
        invalid=False,
        status_code=422,
    )


@get("/account", name="accounts.settings", guards=[requires_login])
async def show_account(request: Req) -> Template:
    context = await account_page_context(request)
    return render(request, "accounts/settings.html", form=Form({}), **context)


@post("/account/password", name="accounts.change_password", guards=[requires_login])
async def change_password(request: Req) -> Response[Any]:
    identity = identity_of(request)
    form = parse_change_password(await form_data(request), email=identity.email)
    if form.is_valid:
        try:
            user = await service.change_password(
                user_id=identity.user_id,
                current_password=form.values["current_password"],
                new_password=form.values["password"],
                passwords=passwords_of(request),
                clock=clock_of(request),
                checks=account_checks(request),
            )
        except DomainError as error:
            form.add_error(error)
        else:
            start_session(request, user, identity.organisation_id)  # this session stays open
            flash(request, N_("Votre mot de passe a été modifié."), "success")
            return redirect_to(request, "accounts.settings")
    context = await account_page_context(request)
    return render(request, "accounts/settings.html", form=form, status_code=422, **context)


@post("/locale", name="accounts.set_locale")
async def set_locale(request: Req) -> Response[Any]:
    form = parse_locale(await form_data(request))
    locale = form.get("locale")
    response = locale_redirect(request, locale, form.get("next"))
    identity = getattr(request.state, "identity", None)
    if locale in LOCALES and identity is not None:
        await service.set_locale(user_id=identity.user_id, locale=locale)
    return response


@get(paths.DASHBOARD, name="accounts.dashboard", guards=[requires_login])
async def show_dashboard(request: Req) -> Template:
    return await _dashboard(request, Form({}))


async def _dashboard(
    request: Req, form: Form, *, status_code: int = 200, siren_held: bool = False
) -> Template:
    """The dashboard; `form` is the new-company form shown to a user without an organisation."""
    identity = identity_of(request)
    memberships = await queries.memberships_of(identity.user_id)
    organisation = (
        await queries.organisation_facts(identity.organisation_id)
        if identity.organisation_id
        else None
    )
    siren_request = None if memberships else await queries.siren_request_of(identity.user_id)
    return render(
        request,
        "accounts/dashboard.html",
        form=form,
        memberships=memberships,
        organisation=organisation,
        first_steps=_first_steps(request, organisation),
        siren_request=siren_request,
        claims=await queries.claims_of(identity.user_id),
        siren_held=siren_held,
        status_code=status_code,
    )


def _first_steps(request: Req, organisation: queries.OrganisationFacts | None) -> list[Step]:
    """The organisation's onboarding steps; none once they are all done, or without one."""
    if organisation is None:
        return []
    done = {
        "invite_colleagues": organisation.member_count > 1 or organisation.invitations_sent > 0,
        "secure_account": identity_of(request).has_totp,
    }
    steps = onboarding(
        done={key for key, is_done in done.items() if is_done}, routes=route_names(request.app)
    )
    return [] if is_finished(steps) else steps


@post("/app/organisations", name="accounts.create_organisation", guards=[requires_login])
async def create_organisation(request: Req) -> Response[Any]:
    """A company for a user who has none (removed from their only one, or whose SIREN was
    taken), or another one; they own it and work in it from now on."""
    await count_attempt(request, "new_organisation", settings_of(request).login_rate_limit * 2)
    identity = identity_of(request)
    form = parse_new_organisation(await form_data(request))
    siren_held = False
    if form.is_valid:
        try:
            organisation = await signup_service.create_organisation(
                user_id=identity.user_id,
                email=identity.email,
                name=form.get("organisation_name"),
                siren=form.get("siren"),
                clock=clock_of(request),
                ip=client_ip(request),
                user_agent=user_agent(request),
            )
        except DomainError as error:
            form.add_error(error)
            siren_held = error.message == signup_service.SIREN_HELD
        else:
            request.set_session({**request.session, "org": organisation.id})
            created = N_("%(name)s est créée : vous en êtes propriétaire.")
            flash(
                request, gettext(request.state.locale, created, name=organisation.name), "success"
            )
            return redirect_to(request, "accounts.dashboard")
    return await _dashboard(request, form, status_code=422, siren_held=siren_held)


# The addresses forms post to, reloaded or bookmarked (see form_address).
FORM_ADDRESSES = [
    form_address("/logout", page="accounts.dashboard", name="accounts.logout_page"),
    form_address("/account/password", page="accounts.settings", name="accounts.password_page"),
    form_address("/locale", page="public.home", name="accounts.locale_page"),
    form_address(
        "/app/organisations", page="accounts.dashboard", name="accounts.create_organisation_page"
    ),
]

router = Router(
    path="/",
    route_handlers=[
        *FORM_ADDRESSES,
        show_signup,
        create_account,
        show_signup_sent,
        show_verify,
        confirm_email,
        show_login,
        log_in,
        log_out,
        show_forgot_password,
        request_password_reset,
        show_reset_password,
        set_new_password,
        show_account,
        change_password,
        set_locale,
        show_dashboard,
        create_organisation,
    ],
    include_in_schema=False,
)

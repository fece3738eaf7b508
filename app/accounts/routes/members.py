"""The organisation's members: list, invitations, roles, removal, organisation switch, audit log."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Template

from app.accounts import queries
from app.accounts.forms import (
    parse_invitation,
    parse_invitation_signup,
    parse_organisation_switch,
    parse_role_change,
)
from app.accounts.guards import (
    Identity,
    clock_of,
    identity_of,
    load_identity,
    requires_login,
    requires_org_admin,
    requires_organisation,
    requires_owner,
    start_session,
)
from app.accounts.service import members as service
from app.errors import N_, DomainError, Forbidden, NotFound
from app.forms import Form
from app.messaging.email import queue_email
from app.web import (
    absolute_url,
    client_ip,
    count_attempt,
    flash,
    form_address,
    form_data,
    passwords_of,
    redirect_to,
    render,
    settings_of,
    user_agent,
)

Req = Request[Any, Any, Any]

MEMBERS_PAGE = "accounts/members.html"
MEMBERS_PARTIAL = "accounts/_members_table.html"
INVITATION_PAGE = "accounts/invitation.html"
# Invitations an organisation may send per rate-limit window: enough for onboarding a team,
# too few for anyone to use our mail domain as a spam relay.
INVITATIONS_PER_WINDOW = 20


def _is_htmx(request: Req) -> bool:
    return isinstance(request, HTMXRequest) and bool(request.htmx)


def _organisation_id(identity: Identity) -> int:
    if identity.organisation_id is None or identity.role is None:  # the guards rule this out
        raise PermissionDeniedException()
    return identity.organisation_id


def _actor(request: Req) -> service.Actor:
    identity = identity_of(request)
    return service.Actor(
        user_id=identity.user_id,
        email=identity.email,
        organisation_id=_organisation_id(identity),
        role=identity.role or "",
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


async def _members_page(request: Req, *, status_code: int = 200, **context: Any) -> Template:
    """The members page, or only its table partial for htmx, with the current lists."""
    identity = identity_of(request)
    organisation_id = _organisation_id(identity)
    context.setdefault("form", Form({"role": "member"}))
    context.setdefault("notice", None)
    context.setdefault("notice_near", "members")
    context.setdefault("error", None)
    return render(
        request,
        MEMBERS_PAGE,
        partial=MEMBERS_PARTIAL,
        status_code=status_code,
        identity=identity,
        members=await queries.members_of(organisation_id),
        invitations=await queries.pending_invitations(organisation_id, now=clock_of(request).now()),
        **context,
    )


async def _after_change(request: Req, notice: str, *, near: str = "members") -> Response[Any]:
    """Redirect-after-post for a full page; for htmx, the refreshed table with the notice
    `near` the part the user acted on: the members list, or the invitation form."""
    if not _is_htmx(request):
        flash(request, notice, "success")
        return redirect_to(request, "accounts.members")
    await load_identity(request)  # the actor may have changed their own role
    return await _members_page(request, notice=notice, notice_near=near)


async def _refused(request: Req, error: DomainError) -> Response[Any]:
    """A rule said no: show why on the members page (htmx swaps only 2xx and 422 answers).

    Unknown ids and missing rights keep their 404/403 answer, the same as for any other page.
    """
    if isinstance(error, NotFound | Forbidden):
        raise error
    status_code = 422 if _is_htmx(request) else error.status_code
    return await _members_page(request, status_code=status_code, error=error.message)


# --- members page and invitations ---------------------------------------------------------


@get("/app/members", name="accounts.members", guards=[requires_organisation])
async def list_members(request: Req) -> Template:
    return await _members_page(request)


@post("/app/members/invitations", name="accounts.invite", guards=[requires_org_admin])
async def invite_member(request: Req) -> Response[Any]:
    form = parse_invitation(await form_data(request))
    if form.is_valid:
        await _count_invitation(request)
        try:
            issued = await service.invite_member(
                actor=_actor(request),
                email=form.get("email"),
                role=form.get("role"),
                default_locale=settings_of(request).default_locale,
                clock=clock_of(request),
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as error:
            form.add_error(error)
        else:
            await _send_invitation(request, issued)
            return await _after_change(request, N_("L'invitation a été envoyée."), near="invite")
    return await _members_page(request, status_code=422, form=form)


async def _count_invitation(request: Req) -> None:
    """Refuse with 429 once the organisation has sent its share of invitations for the window."""
    quota_key = str(identity_of(request).organisation_id)
    await count_attempt(request, "invite", INVITATIONS_PER_WINDOW, key=quota_key)


async def _send_invitation(request: Req, issued: service.IssuedInvitation) -> None:
    """Email the invitation link."""
    identity = identity_of(request)
    await queue_email(
        request.app.state.queue,
        template="invitation",
        to=issued.email,
        subject=N_("Vous êtes invité à rejoindre une entreprise sur Ponctuel"),
        locale=issued.locale,
        organisation_name=issued.organisation_name,
        inviter_name=identity.full_name or identity.email,
        role=issued.role,
        link=absolute_url(request, "accounts.invitation", token=issued.secret),
    )


@get(
    "/app/members/invitations/{invitation_id:int}/revoke",
    name="accounts.revoke_invitation_confirm",
    guards=[requires_org_admin],
)
async def confirm_revocation(request: Req, invitation_id: FromPath[int]) -> Response[Any]:
    """The confirmation page of a revocation (its button's target without JavaScript)."""
    try:
        email = await service.revocable_invitation(
            actor=_actor(request), invitation_id=invitation_id
        )
    except DomainError as error:
        return await _refused(request, error)
    return render(
        request, "accounts/invitation_revoke.html", invitation_id=invitation_id, email=email
    )


@post(
    "/app/members/invitations/{invitation_id:int}/revoke",
    name="accounts.revoke_invitation",
    guards=[requires_org_admin],
)
async def revoke_invitation(request: Req, invitation_id: FromPath[int]) -> Response[Any]:
    try:
        await service.revoke_invitation(
            actor=_actor(request), invitation_id=invitation_id, clock=clock_of(request)
        )
    except DomainError as error:
        return await _refused(request, error)
    return await _after_change(request, N_("L'invitation a été annulée."))


# --- roles and removal --------------------------------------------------------------------


@post(
    "/app/members/{membership_id:int}/role",
    name="accounts.change_role",
    guards=[requires_org_admin],
)
async def change_role(request: Req, membership_id: FromPath[int]) -> Response[Any]:
    form = parse_role_change(await form_data(request))
    try:
        await service.change_role(
            actor=_actor(request),
            membership_id=membership_id,
            role=form.get("role"),
            clock=clock_of(request),
        )
    except DomainError as error:
        return await _refused(request, error)
    return await _after_change(request, N_("Le rôle a été modifié."))


@get(
    "/app/members/{membership_id:int}/remove",
    name="accounts.remove_member_confirm",
    guards=[requires_organisation],
)
async def confirm_removal(request: Req, membership_id: FromPath[int]) -> Response[Any]:
    """The confirmation page of a removal or of leaving (the button's target without JS)."""
    try:
        removal = await service.removal_of(actor=_actor(request), membership_id=membership_id)
    except DomainError as error:
        return await _refused(request, error)
    return render(
        request, "accounts/member_remove.html", removal=removal, identity=identity_of(request)
    )


@post(
    "/app/members/{membership_id:int}/remove",
    name="accounts.remove_member",
    guards=[requires_organisation],
)
async def remove_member(request: Req, membership_id: FromPath[int]) -> Response[Any]:
    """Admins remove a member; any member may remove themselves (leave the organisation)."""
    try:
        has_left = await service.remove_member(
            actor=_actor(request), membership_id=membership_id, clock=clock_of(request)
        )
    except DomainError as error:
        return await _refused(request, error)
    if not has_left:
        return await _after_change(request, N_("Le membre a été retiré de l'entreprise."))
    flash(request, N_("Vous avez quitté l'entreprise."), "success")
    if _is_htmx(request):
        return ClientRedirect(redirect_to=request.app.route_reverse("accounts.dashboard"))
    return redirect_to(request, "accounts.dashboard")


# --- accepting an invitation --------------------------------------------------------------


async def _invitation_page(
    request: Req, token: str, *, form: Form | None = None, status_code: int = 200
) -> Template:
    """The invitee's landing page: who invites them, and the one step left to join."""
    identity = getattr(request.state, "identity", None)
    if identity is not None:
        joined = await service.organisation_already_joined(secret=token, user_id=identity.user_id)
        if joined is not None:
            return render(request, INVITATION_PAGE, member_of=joined)
    try:
        invitation = await service.open_invitation(secret=token, clock=clock_of(request))
    except DomainError as error:
        return _invitation_refused(request, error)
    if identity is not None and identity.email != invitation.email:
        status_code = 403
    return render(
        request,
        INVITATION_PAGE,
        token=token,
        invitation=invitation,
        form=form or Form({}),
        status_code=status_code,
    )


def _invitation_refused(request: Req, error: DomainError) -> Template:
    """The page without an invitation: why the link does not work (the page reads `error`)."""
    return render(
        request,
        INVITATION_PAGE,
        invitation=None,
        error=error.message,
        status_code=error.status_code,
    )


@get("/invitations/{token:str}", name="accounts.invitation")
async def show_invitation(request: Req, token: FromPath[str]) -> Template:
    return await _invitation_page(request, token)


@post("/invitations/{token:str}", name="accounts.accept_invitation")
async def accept_invitation(request: Req, token: FromPath[str]) -> Response[Any]:
    """Join as the logged-in invitee, or create the invitee's account from the short form."""
    identity = getattr(request.state, "identity", None)
    clock = clock_of(request)
    ip, agent = client_ip(request), user_agent(request)
    if identity is not None:
        try:
            organisation_id = await service.accept_invitation(
                secret=token, user_id=identity.user_id, clock=clock, ip=ip, user_agent=agent
            )
        except DomainError as error:
            return _invitation_refused(request, error)
        request.set_session({**request.session, "org": organisation_id})
        return _welcome(request)
    # The address is the invitation's: the service checks the password against it.
    form = parse_invitation_signup(await form_data(request), email="")
    if form.is_valid:
        try:
            user = await service.join_with_new_account(
                secret=token,
                full_name=form.get("full_name"),
                password=form.values["password"],
                locale=request.state.locale,
                passwords=passwords_of(request),
                clock=clock,
                ip=ip,
                user_agent=agent,
            )
        except DomainError as error:
            form.add_error(error)
        else:
            start_session(request, user, user.last_organisation_id)
            return _welcome(request)
    return await _invitation_page(request, token, form=form, status_code=422)


def _welcome(request: Req) -> Response[Any]:
    flash(request, N_("Bienvenue ! Vous êtes maintenant membre de l'entreprise."), "success")
    return redirect_to(request, "accounts.members")


# --- organisation switch and audit log ----------------------------------------------------


@post("/app/organisation", name="accounts.switch_organisation", guards=[requires_login])
async def switch_organisation(request: Req) -> Response[Any]:
    identity = identity_of(request)
    organisation_id = parse_organisation_switch(await form_data(request))
    await service.switch_organisation(user_id=identity.user_id, organisation_id=organisation_id)
    request.set_session({**request.session, "org": organisation_id})
    return redirect_to(request, "accounts.dashboard")


@get("/app/audit", name="accounts.audit", guards=[requires_owner])
async def show_audit(request: Req, page: FromQuery[int] = 1) -> Template:
    organisation_id = _organisation_id(identity_of(request))
    audit = await queries.audit_page(organisation_id, page=page)
    return render(request, "accounts/audit.html", audit=audit)


@get("/account/activity", name="accounts.activity", guards=[requires_login])
async def show_activity(request: Req, page: FromQuery[int] = 1) -> Template:
    """Every one of the user's own security events, page by page."""
    identity = identity_of(request)
    activity = await queries.personal_audit_page(identity.user_id, identity.email, page=page)
    return render(request, "accounts/activity.html", activity=activity)


# The addresses forms post to, reloaded or bookmarked (see form_address).
FORM_ADDRESSES = [
    form_address("/app/members/invitations", page="accounts.members", name="accounts.invite_page"),
    form_address(
        "/app/members/{membership_id:int}/role",
        page="accounts.members",
        name="accounts.change_role_page",
    ),
    form_address("/app/organisation", page="accounts.dashboard", name="accounts.switch_page"),
]

router = Router(
    path="/",
    route_handlers=[
        *FORM_ADDRESSES,
        list_members,
        invite_member,
        confirm_revocation,
        revoke_invitation,
        change_role,
        confirm_removal,
        remove_member,
        show_invitation,
        accept_invitation,
        switch_organisation,
        show_audit,
        show_activity,
    ],
    include_in_schema=False,
)

"""Organisation members: invitations, joining, roles, removal and switching organisation.

Every lookup by id is scoped to the acting user's organisation: an id that belongs to another
organisation is answered exactly like an id that does not exist (NotFound), so nothing leaks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.engine.sqlite import SQLiteEngine

from app.accounts import rules
from app.accounts.rules import Role
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.service.auth import check_password
from app.accounts.tables import Invitation, Membership, Organisation, User
from app.clock import Clock
from app.db import unique_violation_as, write_transaction
from app.errors import N_, Conflict, DomainError, Forbidden, NotFound
from app.security import Passwords

INVITATION_TTL = timedelta(days=7)
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit serials; a larger number names no row on either engine

INVALID_INVITATION = N_(
    "Cette invitation n'est plus valable : elle a expiré, a été annulée ou a déjà été utilisée. "
    "Demandez une nouvelle invitation à la personne qui vous l'a envoyée."
)
ACCOUNT_EXISTS = N_("Un compte existe déjà pour cette adresse : connectez-vous pour accepter.")
ALREADY_SETTLED = N_("Cette invitation a déjà été acceptée ou annulée.")
LAST_OWNER = N_(
    "Une entreprise doit toujours garder au moins un propriétaire : "
    "nommez d'abord un autre propriétaire."
)


@dataclass(frozen=True)
class Actor:
    """Who acts, in which organisation and with which role, and from where (for the audit log)."""

    user_id: int
    email: str
    organisation_id: int
    role: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and what the email to the invitee needs (the secret is never stored)."""

    invitation_id: int
    email: str
    role: str
    secret: str
    organisation_name: str
    locale: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenInvitation:
    """A still valid invitation, as its invitee sees it on the landing page."""

    invitation_id: int
    organisation_id: int
    organisation_name: str
    email: str
    role: str
    expires_at: datetime
    has_account: bool


async def _audit(actor: Actor, action: AuditAction, target: str, clock: Clock) -> None:
    await record_event(
        action=action,
        clock=clock,
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        actor_email=actor.email,
        target=target,
        ip=actor.ip,
        user_agent=actor.user_agent,
    )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as error:
        raise DomainError(N_("Choisissez un rôle valide."), field="role") from error


@asynccontextmanager
async def _membership_change(organisation_id: int) -> AsyncIterator[None]:
    """A transaction that no concurrent change to the same organisation's members interleaves.

    The "at least one owner" rule reads the owners then writes: two owners demoting each other at
    once must not both succeed. PostgreSQL locks the organisation row; SQLite takes its write lock.
    """
    engine = Membership._meta.db
    async with write_transaction(engine):
        if not isinstance(engine, SQLiteEngine):
            await (
                Organisation.select(Organisation.id)
                .where(Organisation.id == organisation_id)
                .lock_rows()
            )
        yield


async def _owner_count(organisation_id: int) -> int:
    count: int = await Membership.count().where(
        (Membership.organisation == organisation_id) & (Membership.role == Role.OWNER)
    )
    return count


def _row_id(value: int) -> int:
    """An id that fits the column, so an absurd number is just "not found", never an error."""
    return value if 0 < value <= MAX_ROW_ID else 0


async def _membership_in(actor: Actor, membership_id: int) -> Membership:
    membership = await Membership.objects().get(
        (Membership.id == _row_id(membership_id))
        & (Membership.organisation == actor.organisation_id)
    )
    if membership is None:
        raise NotFound(N_("Ce membre est introuvable."))
    return membership


async def _email_of(user_id: int) -> str:
    row = await User.select(User.email).where(User.id == user_id).first()
    return str(row["email"]) if row else ""


# --- invitations --------------------------------------------------------------------------


async def invite_member(
    *, actor: Actor, email: str, role: str, default_locale: str, clock: Clock
) -> IssuedInvitation:
    """Invite an address to the actor's organisation with a role the actor may grant.

    A pending invitation to the same address is revoked, so only the newest link works. The
    email is in the invitee's language when they have an account, else in `default_locale`.
    """
    granted = _role(role)
    if not rules.can_grant(actor.role, granted):
        raise Forbidden(N_("Seul un propriétaire peut inviter un autre propriétaire."))
    already_member = await Membership.exists().where(
        (Membership.organisation == actor.organisation_id)
        & Membership.user.is_in(User.select(User.id).where(User.email == email))
    )
    if already_member:
        raise Conflict(N_("Cette personne est déjà membre de l'entreprise."), field="email")
    organisation = await Organisation.objects().get(Organisation.id == actor.organisation_id)
    if organisation is None:
        raise NotFound(N_("Cette entreprise est introuvable."))
    invitee = await User.select(User.locale).where(User.email == email).first()
    secret = rules.new_secret()
    now = clock.now()
    async with Invitation._meta.db.transaction():
        await Invitation.update({Invitation.revoked_at: now}).where(
            (Invitation.organisation == actor.organisation_id)
            & (Invitation.email == email)
            & Invitation.accepted_at.is_null()
            & Invitation.revoked_at.is_null()
        )
        invitation = Invitation(
            organisation=actor.organisation_id,
            email=email,
            role=granted,
            token_hash=rules.secret_hash(secret),
            invited_by=actor.user_id,
            expires_at=now + INVITATION_TTL,
            created_at=now,
        )
        await invitation.save()
    await _audit(actor, AuditAction.MEMBER_INVITED, f"{email} ({granted})", clock)
    return IssuedInvitation(
        invitation_id=invitation.id,
        email=email,
        role=granted,
        secret=secret,
        organisation_name=organisation.name,
        locale=invitee["locale"] if invitee else default_locale,
        expires_at=invitation.expires_at,
    )


async def _invitation_in(actor: Actor, invitation_id: int) -> Invitation:
    invitation = await Invitation.objects().get(
        (Invitation.id == _row_id(invitation_id))
        & (Invitation.organisation == actor.organisation_id)
    )
    if invitation is None:
        raise NotFound(N_("Cette invitation est introuvable."))
    return invitation


async def revocable_invitation(*, actor: Actor, invitation_id: int) -> str:
    """The address of a pending invitation of the actor's organisation, for its confirmation."""
    invitation = await _invitation_in(actor, invitation_id)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(ALREADY_SETTLED)
    return str(invitation.email)


async def revoke_invitation(*, actor: Actor, invitation_id: int, clock: Clock) -> None:
    """Cancel a pending invitation of the actor's organisation; its link stops working."""
    invitation = await _invitation_in(actor, invitation_id)
    revoked = (
        await Invitation.update({Invitation.revoked_at: clock.now()})
        .where(
            (Invitation.id == invitation.id)
            & Invitation.accepted_at.is_null()
            & Invitation.revoked_at.is_null()
        )
        .returning(Invitation.id)
    )
    if not revoked:
        raise Conflict(ALREADY_SETTLED)
    await _audit(actor, AuditAction.INVITATION_REVOKED, invitation.email, clock)


async def _valid_invitation(secret: str, clock: Clock) -> Invitation:
    invitation = await Invitation.objects().get(Invitation.token_hash == rules.secret_hash(secret))
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= clock.now()
    ):
        raise DomainError(INVALID_INVITATION)
    return invitation


async def organisation_already_joined(*, secret: str, user_id: int) -> str | None:
    """The name of the invitation's organisation when this user is a member of it already
    (they accepted it, or joined otherwise), so that reopening the link says so."""
    invitation = await Invitation.objects().get(Invitation.token_hash == rules.secret_hash(secret))
    if invitation is None:
        return None
    row = (
        await Membership.select(Membership.organisation.name)
        .where((Membership.user == user_id) & (Membership.organisation == invitation.organisation))
        .first()
    )
    return str(row["organisation.name"]) if row else None


async def open_invitation(*, secret: str, clock: Clock) -> OpenInvitation:
    """The invitation behind an emailed link, if it can still be accepted."""
    invitation = await _valid_invitation(secret, clock)
    organisation = await Organisation.objects().get(Organisation.id == invitation.organisation)
    if organisation is None:  # pragma: no cover (invitations cascade with their organisation)
        raise DomainError(INVALID_INVITATION)
    return OpenInvitation(
        invitation_id=invitation.id,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        email=invitation.email,
        role=invitation.role,
        expires_at=invitation.expires_at,
        has_account=bool(await User.exists().where(User.email == invitation.email)),
    )


async def _join(invitation: Invitation, user: User, clock: Clock) -> None:
    """Inside a transaction: use up the invitation once and add the membership."""
    used = (
        await Invitation.update({Invitation.accepted_at: clock.now()})
        .where(
            (Invitation.id == invitation.id)
            & Invitation.accepted_at.is_null()
            & Invitation.revoked_at.is_null()
        )
        .returning(Invitation.id)
    )
    if not used:  # accepted or revoked by a concurrent request
        raise DomainError(INVALID_INVITATION)
    await Membership(
        user=user.id,
        organisation=invitation.organisation,
        role=invitation.role,
        created_at=clock.now(),
    ).save()
    await User.update({User.last_organisation_id: invitation.organisation}).where(
        User.id == user.id
    )


async def _record_join(invitation: Invitation, user: User, clock: Clock, ip: str, ua: str) -> None:
    await record_event(
        action=AuditAction.MEMBER_ADDED,
        clock=clock,
        user_id=user.id,
        organisation_id=invitation.organisation,
        actor_email=user.email,
        target=f"{user.email} ({invitation.role})",
        ip=ip,
        user_agent=ua,
    )


async def accept_invitation(
    *, secret: str, user_id: int, clock: Clock, ip: str, user_agent: str
) -> int:
    """Join the inviting organisation as the logged-in invitee; returns the organisation id."""
    invitation = await _valid_invitation(secret, clock)
    user = await User.objects().get(User.id == user_id)
    if user is None or user.email != invitation.email:
        raise Forbidden(
            N_(
                "Cette invitation a été envoyée à une autre adresse e-mail que celle de votre "
                "compte. Déconnectez-vous, puis ouvrez le lien en vous connectant avec "
                "l'adresse invitée."
            )
        )
    already = N_("Vous êtes déjà membre de cette entreprise.")
    async with unique_violation_as(lambda: Conflict(already)), Invitation._meta.db.transaction():
        await _join(invitation, user, clock)
    await _record_join(invitation, user, clock, ip, user_agent)
    return int(invitation.organisation)


async def join_with_new_account(
    *,
    secret: str,
    full_name: str,
    password: str,
    locale: str,
    passwords: Passwords,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> User:
    """Create the invitee's account from the invitation and make them a member.

    The address is taken as verified: the invitee proved they read its mailbox by opening the link.
    """
    invitation = await _valid_invitation(secret, clock)
    if await User.exists().where(User.email == invitation.email):
        raise Conflict(ACCOUNT_EXISTS)
    check_password(password, email=invitation.email)
    password_hash = await passwords.hash(password)
    now = clock.now()
    user = User(
        email=invitation.email,
        full_name=full_name.strip(),
        password_hash=password_hash,
        email_verified_at=now,
        locale=locale,
        last_organisation_id=invitation.organisation,
        created_at=now,
    )
    async with (
        unique_violation_as(lambda: Conflict(ACCOUNT_EXISTS)),
        User._meta.db.transaction(),
    ):  # a concurrent signup
        await user.save()
        await _join(invitation, user, clock)
    await record_event(
        action=AuditAction.SIGNUP,
        clock=clock,
        user_id=user.id,
        organisation_id=invitation.organisation,
        actor_email=user.email,
        target="invitation",
        ip=ip,
        user_agent=user_agent,
    )
    await _record_join(invitation, user, clock, ip, user_agent)
    return user


# --- roles and removal --------------------------------------------------------------------


async def change_role(*, actor: Actor, membership_id: int, role: str, clock: Clock) -> None:
    """Give a member another role; only owners grant or take away the owner role."""
    new_role = _role(role)
    async with _membership_change(actor.organisation_id):
        membership = await _membership_in(actor, membership_id)
        old_role = membership.role
        if old_role == new_role:
            return
        if not rules.can_grant(actor.role, new_role) or not rules.can_grant(actor.role, old_role):
            raise Forbidden(N_("Seul un propriétaire peut nommer ou retirer un propriétaire."))
        if old_role == Role.OWNER and await _owner_count(actor.organisation_id) <= 1:
            raise Conflict(LAST_OWNER)
        await Membership.update({Membership.role: new_role}).where(Membership.id == membership.id)
    target = await _email_of(membership.user)
    await _audit(
        actor, AuditAction.MEMBER_ROLE_CHANGED, f"{target} ({old_role} → {new_role})", clock
    )


@dataclass(frozen=True)
class Removal:
    """A removal the actor may carry out, as its confirmation page names it."""

    membership_id: int
    email: str
    full_name: str
    is_self: bool  # the actor leaves the organisation


async def _removable(actor: Actor, membership_id: int) -> Membership:
    """The membership, when the actor may remove it: their own, or one their role may grant."""
    membership = await _membership_in(actor, membership_id)
    is_self = int(membership.user) == actor.user_id
    if not is_self and not rules.can_grant(actor.role, membership.role):
        raise Forbidden(N_("Vous n'avez pas le droit de retirer ce membre."))
    if membership.role == Role.OWNER and await _owner_count(actor.organisation_id) <= 1:
        raise Conflict(LAST_OWNER)
    return membership


async def removal_of(*, actor: Actor, membership_id: int) -> Removal:
    """What removing this membership would do, refused exactly as `remove_member` would be."""
    membership = await _removable(actor, membership_id)
    user = await User.objects().get(User.id == membership.user)
    if user is None:  # deleted meanwhile, and its memberships with it
        raise NotFound(N_("Ce membre est introuvable."))
    return Removal(
        membership_id=int(membership.id),
        email=user.email,
        full_name=user.full_name,
        is_self=int(membership.user) == actor.user_id,
    )


async def remove_member(*, actor: Actor, membership_id: int, clock: Clock) -> bool:
    """Remove a member (admins), or leave the organisation (anyone); True when the actor left.

    Access ends at once: the next request of the removed user finds no membership.
    """
    async with _membership_change(actor.organisation_id):
        membership = await _removable(actor, membership_id)
        is_self = int(membership.user) == actor.user_id
        await Membership.delete().where(Membership.id == membership.id)
    await User.update({User.last_organisation_id: None}).where(
        (User.id == membership.user) & (User.last_organisation_id == actor.organisation_id)
    )
    target = await _email_of(membership.user)
    await _audit(actor, AuditAction.MEMBER_REMOVED, f"{target} ({membership.role})", clock)
    return is_self


# --- switching organisation ---------------------------------------------------------------


async def switch_organisation(*, user_id: int, organisation_id: int) -> None:
    """Remember the organisation a user works in; only one they are a member of."""
    is_member = await Membership.exists().where(
        (Membership.user == user_id) & (Membership.organisation == _row_id(organisation_id))
    )
    if not is_member:
        raise NotFound(N_("Cette entreprise est introuvable."))
    await User.update({User.last_organisation_id: organisation_id}).where(User.id == user_id)

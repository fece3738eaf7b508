"""Read side of accounts: members, pending invitations, organisation facts, the audit log page,
a user's SIREN claims.

Every function takes the current organisation's id (or the user's, for their memberships,
sign-in providers, signup request and claims) and reads nothing outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from piccolo.custom_types import Combinable

from app.accounts.rules import can_unlink_provider, name_order, role_rank
from app.accounts.service.audit import AuditAction
from app.accounts.tables import (
    AuditEvent,
    ExternalIdentity,
    Invitation,
    Membership,
    Organisation,
    SignupRequest,
    SirenClaim,
    User,
)
from app.errors import N_, NotFound

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class MemberRow:
    membership_id: int
    user_id: int
    full_name: str
    email: str
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class InvitationRow:
    invitation_id: int
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    is_expired: bool


@dataclass(frozen=True)
class OrganisationFacts:
    name: str
    siren: str
    vat_number: str
    member_count: int
    invitations_sent: int = 0
    suspended_at: datetime | None = None
    suspension_reason: str = ""
    withdrawn_siren: str = ""


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor_email: str
    action: str
    target: str
    ip: str
    is_success: bool


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    page_count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


@dataclass(frozen=True)
class MembershipView:
    organisation_id: int
    organisation_name: str
    siren: str
    role: str


async def memberships_of(user_id: int) -> list[MembershipView]:
    """The organisations a user belongs to, by name, with their role in each."""
    rows = (
        await Membership.select(
            Membership.organisation.id,
            Membership.organisation.name,
            Membership.organisation.siren,
            Membership.role,
        )
        .where(Membership.user == user_id)
        .order_by(Membership.organisation.name)
    )
    return [
        MembershipView(
            row["organisation.id"], row["organisation.name"], row["organisation.siren"], row["role"]
        )
        for row in rows
    ]


async def members_of(organisation_id: int) -> list[MemberRow]:
    """The organisation's members, owners first, then by name."""
    rows = await Membership.select(
        Membership.id,
        Membership.role,
        Membership.created_at,
        Membership.user.id,
        Membership.user.email,
        Membership.user.full_name,
    ).where(Membership.organisation == organisation_id)
    members = [
        MemberRow(
            membership_id=row["id"],
            user_id=row["user.id"],
            full_name=row["user.full_name"],
            email=row["user.email"],
            role=row["role"],
            joined_at=row["created_at"],
        )
        for row in rows
    ]
    members.sort(key=lambda m: (-role_rank(m.role), name_order(m.full_name or m.email)))
    return members


async def pending_invitations(organisation_id: int, *, now: datetime) -> list[InvitationRow]:
    """Invitations neither accepted nor revoked, newest first; expired ones are flagged."""
    rows = (
        await Invitation.select(
            Invitation.id,
            Invitation.email,
            Invitation.role,
            Invitation.created_at,
            Invitation.expires_at,
            Invitation.invited_by.full_name,
            Invitation.invited_by.email,
        )
        .where(
            (Invitation.organisation == organisation_id)
            & Invitation.accepted_at.is_null()
            & Invitation.revoked_at.is_null()
        )
        .order_by(Invitation.created_at, ascending=False)
    )
    return [
        InvitationRow(
            invitation_id=row["id"],
            email=row["email"],
            role=row["role"],
            invited_by=row["invited_by.full_name"] or row["invited_by.email"] or "",
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            is_expired=row["expires_at"] <= now,
        )
        for row in rows
    ]


async def organisation_facts(organisation_id: int) -> OrganisationFacts:
    row = (
        await Organisation.select(
            Organisation.name,
            Organisation.siren,
            Organisation.vat_number,
            Organisation.suspended_at,
            Organisation.suspension_reason,
            Organisation.withdrawn_siren,
        )
        .where(Organisation.id == organisation_id)
        .first()
    )
    if row is None:
        raise NotFound(N_("Cette entreprise est introuvable."))
    count: int = await Membership.count().where(Membership.organisation == organisation_id)
    invitations: int = await Invitation.count().where(Invitation.organisation == organisation_id)
    return OrganisationFacts(
        row["name"],
        row["siren"],
        row["vat_number"],
        count,
        invitations_sent=invitations,
        suspended_at=row["suspended_at"],
        suspension_reason=row["suspension_reason"],
        withdrawn_siren=row["withdrawn_siren"],
    )


def _audit_scope(organisation_id: int) -> Combinable:
    """The organisation's events, plus failed logins against its current members' addresses.

    A failed login has no organisation (the person was not authenticated), so it is matched by
    the email it was attempted with.
    """
    member_emails = Membership.select(Membership.user.email).where(
        Membership.organisation == organisation_id
    )
    return (AuditEvent.organisation == organisation_id) | (
        AuditEvent.organisation.is_null()
        & (AuditEvent.action == AuditAction.LOGIN_FAILED)
        & AuditEvent.actor_email.is_in(member_emails)
    )


async def _audit_rows(scope: Combinable, *, limit: int, offset: int) -> list[AuditRow]:
    """The events in `scope`, newest first."""
    rows = (
        await AuditEvent.select(
            AuditEvent.created_at,
            AuditEvent.actor_email,
            AuditEvent.action,
            AuditEvent.target,
            AuditEvent.ip,
            AuditEvent.is_success,
        )
        .where(scope)
        .order_by(AuditEvent.created_at, AuditEvent.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return [
        AuditRow(
            created_at=row["created_at"],
            actor_email=row["actor_email"],
            action=row["action"],
            target=row["target"],
            ip=row["ip"],
            is_success=bool(row["is_success"]),
        )
        for row in rows
    ]


async def audit_page(organisation_id: int, *, page: int) -> AuditPage:
    """One page of the organisation's security events, newest first."""
    return await _audit_page(_audit_scope(organisation_id), page=page)


async def personal_audit_page(user_id: int, email: str, *, page: int) -> AuditPage:
    """One page of a person's own security events, whatever their organisation (or none):
    password changes and resets, confirmations, second factor, and failed logins to their
    address, newest first."""
    return await _audit_page(_personal_scope(user_id, email), page=page)


async def personal_events(user_id: int, email: str) -> AuditPage:
    """The latest of a person's own events, as the account page shows them."""
    return await _audit_page(_personal_scope(user_id, email), page=1, size=PERSONAL_EVENTS_SHOWN)


PERSONAL_EVENTS_SHOWN = 20


def _personal_scope(user_id: int, email: str) -> Combinable:
    return (AuditEvent.user == user_id) | (
        (AuditEvent.action == AuditAction.LOGIN_FAILED) & (AuditEvent.actor_email == email)
    )


async def _audit_page(scope: Combinable, *, page: int, size: int = AUDIT_PAGE_SIZE) -> AuditPage:
    total: int = await AuditEvent.count().where(scope)
    page_count = max(1, -(-total // size))
    page = min(max(page, 1), page_count)
    rows = await _audit_rows(scope, limit=size, offset=(page - 1) * size)
    return AuditPage(rows=rows, page=page, page_count=page_count, total=total)


@dataclass(frozen=True)
class LinkedProvider:
    identity_id: int
    provider: str
    label: str
    email: str
    linked_at: datetime
    can_unlink: bool
    is_configured: bool  # the provider is still offered, so the user can log in with it


@dataclass(frozen=True)
class ProviderChoice:
    name: str
    label: str


@dataclass(frozen=True)
class SignInMethods:
    """The providers a user logs in with, and the configured ones they could link."""

    linked: list[LinkedProvider]
    linkable: list[ProviderChoice]


async def sign_in_methods(
    user_id: int, *, has_password: bool, providers: Mapping[str, str]
) -> SignInMethods:
    """The user's linked providers, oldest first; `providers` maps configured names to labels."""
    rows = (
        await ExternalIdentity.select(
            ExternalIdentity.id,
            ExternalIdentity.provider,
            ExternalIdentity.email,
            ExternalIdentity.created_at,
        )
        .where(ExternalIdentity.user == user_id)
        .order_by(ExternalIdentity.created_at, ExternalIdentity.id)
    )
    removable = can_unlink_provider(has_password=has_password, linked_providers=len(rows))
    linked = [
        LinkedProvider(
            identity_id=row["id"],
            provider=row["provider"],
            label=providers.get(row["provider"], row["provider"].capitalize()),
            email=row["email"],
            linked_at=row["created_at"],
            can_unlink=removable,
            is_configured=row["provider"] in providers,
        )
        for row in rows
    ]
    names = {row["provider"] for row in rows}
    linkable = [
        ProviderChoice(name, label) for name, label in providers.items() if name not in names
    ]
    return SignInMethods(linked=linked, linkable=linkable)


# --- a user's SIREN request and claims ------------------------------------------------------

CLAIM_NOT_FOUND = N_("Cette demande est introuvable.")


@dataclass(frozen=True)
class SirenRequest:
    """The company a confirmed user asked for and could not get: its SIREN was taken."""

    organisation_name: str
    siren: str
    asked_at: datetime


@dataclass(frozen=True)
class ClaimView:
    claim_id: int
    siren: str
    organisation_name: str
    claimant_name: str
    claimant_role: str
    explanation: str
    status: str
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None


async def siren_request_of(user_id: int) -> SirenRequest | None:
    """The user's latest confirmed signup whose SIREN was taken, if any."""
    row = (
        await SignupRequest.select(
            SignupRequest.organisation_name, SignupRequest.siren, SignupRequest.created_at
        )
        .where((SignupRequest.user == user_id) & SignupRequest.verified_at.is_not_null())
        .order_by(SignupRequest.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return SirenRequest(row["organisation_name"], row["siren"], row["created_at"])


def _claim_view(row: dict[str, object]) -> ClaimView:
    return ClaimView(
        claim_id=int(str(row["id"])),
        siren=str(row["siren"]),
        organisation_name=str(row["organisation_name"]),
        claimant_name=str(row["claimant_name"]),
        claimant_role=str(row["claimant_role"]),
        explanation=str(row["explanation"]),
        status=str(row["status"]),
        decision_reason=str(row["decision_reason"]),
        created_at=row["created_at"],  # type: ignore[arg-type]
        decided_at=row["decided_at"],  # type: ignore[arg-type]
    )


_CLAIM_COLUMNS = (
    SirenClaim.id,
    SirenClaim.siren,
    SirenClaim.organisation_name,
    SirenClaim.claimant_name,
    SirenClaim.claimant_role,
    SirenClaim.explanation,
    SirenClaim.status,
    SirenClaim.decision_reason,
    SirenClaim.created_at,
    SirenClaim.decided_at,
)


async def claims_of(user_id: int) -> list[ClaimView]:
    """The claims a user filed, newest first."""
    rows = (
        await SirenClaim.select(*_CLAIM_COLUMNS)
        .where(SirenClaim.claimant == user_id)
        .order_by(SirenClaim.id, ascending=False)
    )
    return [_claim_view(row) for row in rows]


async def claim_of(user_id: int, claim_id: int) -> ClaimView:
    """One of the user's claims; another user's claim is not found, like a missing one."""
    row = (
        await SirenClaim.select(*_CLAIM_COLUMNS)
        .where((SirenClaim.id == claim_id) & (SirenClaim.claimant == user_id))
        .first()
    )
    if row is None:
        raise NotFound(CLAIM_NOT_FOUND)
    return _claim_view(row)


async def name_for_address(email: str) -> str:
    """The name of the account using this address, for an email's greeting ("" if none)."""
    row = await User.select(User.full_name).where(User.email == email.lower()).first()
    return str(row["full_name"]) if row else ""

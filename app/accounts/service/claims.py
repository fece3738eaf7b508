"""Contesting a SIREN: a confirmed person claims that a SIREN held on Ponctuel is their company's.

A platform administrator reviews each claim. Accepting it moves the SIREN: the organisation
that held it is suspended (it keeps its members, invitations and history, loses its SIREN and
VAT number, and its members are emailed the reason), and the claimant's organisation is created
with the SIREN, the claimant as owner. Rejecting it emails the claimant the reasons. Filing and
every decision are written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis

from app.accounts import paths
from app.accounts.rules import ClaimStatus
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.service.signup import open_organisation
from app.accounts.tables import (
    Membership,
    Organisation,
    SignupRequest,
    SirenClaim,
    User,
)
from app.clock import Clock
from app.companies.rules import withdrawn_siren_marker
from app.db import unique_violation_as
from app.errors import N_, Conflict, DomainError, Forbidden, NotFound
from app.messaging.email import queue_email

NOT_HELD = N_("Aucune entreprise n'utilise ce SIREN sur Ponctuel : il n'y a rien à contester.")
OWN_ORGANISATION = N_("Vous êtes déjà membre de l'entreprise qui utilise ce SIREN sur Ponctuel.")
ALREADY_PENDING = N_("Vous avez déjà une demande en cours d'examen pour ce SIREN.")
ALREADY_DECIDED = N_("Cette demande a déjà été traitée.")
CLAIM_NOT_FOUND = N_("Cette demande est introuvable.")
NOT_CONFIRMED = N_("Confirmez d'abord votre adresse e-mail pour contester une inscription.")
OWN_CLAIM = N_(
    "Une autre personne de l'administration doit examiner une demande que vous avez déposée."
)


@dataclass(frozen=True)
class Reviewer:
    """The platform administrator deciding, and where the decision comes from (audit log)."""

    user_id: int
    email: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Mailer:
    """Where decision emails go and the public URL their links start with."""

    queue: ArqRedis
    base_url: str


async def file_claim(
    *,
    user_id: int,
    siren: str,
    organisation_name: str,
    claimant_name: str,
    claimant_role: str,
    explanation: str,
    clock: Clock,
    mailer: Mailer,
    ip: str,
    user_agent: str,
) -> int:
    """Record a claim on a SIREN another organisation holds; returns its id.

    `siren` is already normalised. Platform administrators are emailed that a claim waits.
    """
    user = await User.objects().get(User.id == user_id)
    if user is None or user.email_verified_at is None:
        raise Forbidden(NOT_CONFIRMED)
    holder = await Organisation.select(Organisation.id).where(Organisation.siren == siren).first()
    if holder is None:
        raise DomainError(NOT_HELD, field="siren")
    if await Membership.exists().where(
        (Membership.organisation == holder["id"]) & (Membership.user == user_id)
    ):
        raise DomainError(OWN_ORGANISATION, field="siren")
    claim = SirenClaim(
        claimant=user_id,
        siren=siren,
        organisation_name=organisation_name.strip(),
        claimant_name=claimant_name.strip(),
        claimant_role=claimant_role.strip(),
        explanation=explanation.strip(),
        held_by=holder["id"],
        status=ClaimStatus.PENDING,
        created_at=clock.now(),
    )
    async with unique_violation_as(lambda: Conflict(ALREADY_PENDING)):
        await claim.save()
    await record_event(
        action=AuditAction.SIREN_CLAIM_FILED,
        clock=clock,
        user_id=user_id,
        actor_email=user.email,
        target=f"claim {claim.id}: SIREN {siren}",
        ip=ip,
        user_agent=user_agent,
    )
    admins = await User.select(User.email, User.locale).where(User.is_platform_admin.eq(True))
    for admin in admins:
        await queue_email(
            mailer.queue,
            template="siren_claim_filed",
            to=admin["email"],
            subject=N_("Nouvelle contestation de SIREN à examiner"),
            locale=admin["locale"],
            siren=siren,
            link=paths.link(mailer.base_url, paths.ADMIN_CLAIM, claim_id=claim.id),
        )
    return int(claim.id)


async def _pending_claim(claim_id: int, reviewer: Reviewer) -> SirenClaim:
    claim = await SirenClaim.objects().get(SirenClaim.id == claim_id)
    if claim is None:
        raise NotFound(CLAIM_NOT_FOUND)
    if claim.status != ClaimStatus.PENDING:
        raise Conflict(ALREADY_DECIDED)
    if claim.claimant == reviewer.user_id:
        raise Forbidden(OWN_CLAIM)
    return claim


async def _decide(
    claim: SirenClaim, status: ClaimStatus, *, reviewer: Reviewer, reason: str, clock: Clock
) -> None:
    """Record the decision once; a concurrent decision on the same claim wins."""
    decided = (
        await SirenClaim.update(
            {
                SirenClaim.status: status,
                SirenClaim.reviewer: reviewer.user_id,
                SirenClaim.decided_at: clock.now(),
                SirenClaim.decision_reason: reason.strip(),
            }
        )
        .where((SirenClaim.id == claim.id) & (SirenClaim.status == ClaimStatus.PENDING))
        .returning(SirenClaim.id)
    )
    if not decided:
        raise Conflict(ALREADY_DECIDED)


async def accept_claim(
    *, claim_id: int, reviewer: Reviewer, reason: str, clock: Clock, mailer: Mailer
) -> int:
    """Give the SIREN to the claimant; returns the id of the claimant's new organisation."""
    claim = await _pending_claim(claim_id, reviewer)
    claimant = await User.objects().get(User.id == claim.claimant)
    if claimant is None:
        raise NotFound(CLAIM_NOT_FOUND)
    now = clock.now()
    holder = await Organisation.objects().get(Organisation.siren == claim.siren)
    members = (
        await Membership.select(Membership.user.email, Membership.user.locale).where(
            Membership.organisation == holder.id
        )
        if holder
        else []
    )
    async with Organisation._meta.db.transaction():
        await _decide(claim, ClaimStatus.ACCEPTED, reviewer=reviewer, reason=reason, clock=clock)
        if holder is not None:
            await Organisation.update(
                {
                    Organisation.siren: withdrawn_siren_marker(holder.id),
                    Organisation.withdrawn_siren: claim.siren,
                    Organisation.vat_number: "",
                    Organisation.suspended_at: now,
                    Organisation.suspension_reason: reason.strip(),
                }
            ).where(Organisation.id == holder.id)
        organisation = await open_organisation(
            user_id=claimant.id, name=claim.organisation_name, siren=claim.siren, now=now
        )
        await SignupRequest.delete().where(
            (SignupRequest.user == claimant.id) & (SignupRequest.siren == claim.siren)
        )
    target = f"claim {claim.id}: SIREN {claim.siren}"
    await record_event(
        action=AuditAction.SIREN_CLAIM_ACCEPTED,
        clock=clock,
        user_id=reviewer.user_id,
        organisation_id=organisation.id,
        actor_email=reviewer.email,
        target=target,
        ip=reviewer.ip,
        user_agent=reviewer.user_agent,
    )
    if holder is not None:
        await record_event(
            action=AuditAction.SIREN_WITHDRAWN,
            clock=clock,
            user_id=reviewer.user_id,
            organisation_id=holder.id,
            actor_email=reviewer.email,
            target=target,
            ip=reviewer.ip,
            user_agent=reviewer.user_agent,
        )
    await queue_email(
        mailer.queue,
        template="siren_claim_accepted",
        to=claimant.email,
        subject=N_("Votre contestation de SIREN est acceptée"),
        locale=claimant.locale,
        siren=claim.siren,
        organisation_name=claim.organisation_name,
        link=paths.link(mailer.base_url, paths.DASHBOARD),
    )
    for member in members:
        await queue_email(
            mailer.queue,
            template="siren_withdrawn",
            to=member["user.email"],
            subject=N_("Le SIREN de votre entreprise sur Ponctuel lui a été retiré"),
            locale=member["user.locale"],
            siren=claim.siren,
            organisation_name=holder.name if holder else "",
            reason=reason.strip(),
            link=paths.link(mailer.base_url, paths.DASHBOARD),
        )
    return int(organisation.id)


async def reject_claim(
    *, claim_id: int, reviewer: Reviewer, reason: str, clock: Clock, mailer: Mailer
) -> None:
    """Turn the claim down and email the claimant the reasons."""
    claim = await _pending_claim(claim_id, reviewer)
    await _decide(claim, ClaimStatus.REJECTED, reviewer=reviewer, reason=reason, clock=clock)
    await record_event(
        action=AuditAction.SIREN_CLAIM_REJECTED,
        clock=clock,
        user_id=reviewer.user_id,
        actor_email=reviewer.email,
        target=f"claim {claim.id}: SIREN {claim.siren}",
        ip=reviewer.ip,
        user_agent=reviewer.user_agent,
    )
    claimant = await User.select(User.email, User.locale).where(User.id == claim.claimant).first()
    if claimant is None:
        return
    await queue_email(
        mailer.queue,
        template="siren_claim_rejected",
        to=claimant["email"],
        subject=N_("Votre contestation de SIREN n'a pas été acceptée"),
        locale=claimant["locale"],
        siren=claim.siren,
        reason=reason.strip(),
        link=paths.link(mailer.base_url, paths.CLAIM, claim_id=claim.id),
    )

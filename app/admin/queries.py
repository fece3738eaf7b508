"""Read side of platform administration: SIREN claims across every organisation.

Platform-wide by design; only the administration pages, guarded by `requires_platform_admin`,
call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.rules import Role
from app.accounts.tables import Membership, Organisation, SirenClaim
from app.errors import N_, NotFound

CLAIMS_PAGE_SIZE = 100


@dataclass(frozen=True)
class ClaimRow:
    claim_id: int
    created_at: datetime
    siren: str
    organisation_name: str
    claimant_email: str
    status: str


@dataclass(frozen=True)
class Holder:
    """The organisation that holds the claimed SIREN now."""

    organisation_id: int
    name: str
    created_at: datetime
    member_count: int
    owners: list[tuple[str, bool]]  # (email, address confirmed)


@dataclass(frozen=True)
class ClaimDetail:
    claim_id: int
    created_at: datetime
    siren: str
    organisation_name: str
    claimant_id: int
    claimant_email: str
    claimant_verified: bool
    claimant_name: str
    claimant_role: str
    explanation: str
    status: str
    reviewer_email: str
    decided_at: datetime | None
    decision_reason: str
    holder: Holder | None


async def claims(status: str | None) -> list[ClaimRow]:
    """Claims with `status` (every claim for None); pending ones oldest first, others newest."""
    query = SirenClaim.select(
        SirenClaim.id,
        SirenClaim.created_at,
        SirenClaim.siren,
        SirenClaim.organisation_name,
        SirenClaim.claimant.email,
        SirenClaim.status,
    )
    if status is not None:
        query = query.where(SirenClaim.status == status)
    rows = await query.order_by(SirenClaim.id, ascending=status == "pending").limit(
        CLAIMS_PAGE_SIZE
    )
    return [
        ClaimRow(
            claim_id=row["id"],
            created_at=row["created_at"],
            siren=row["siren"],
            organisation_name=row["organisation_name"],
            claimant_email=row["claimant.email"],
            status=row["status"],
        )
        for row in rows
    ]


async def _holder(siren: str) -> Holder | None:
    row = (
        await Organisation.select(Organisation.id, Organisation.name, Organisation.created_at)
        .where(Organisation.siren == siren)
        .first()
    )
    if row is None:
        return None
    members = await Membership.select(
        Membership.role, Membership.user.email, Membership.user.email_verified_at
    ).where(Membership.organisation == row["id"])
    owners = [
        (m["user.email"], m["user.email_verified_at"] is not None)
        for m in members
        if m["role"] == Role.OWNER
    ]
    return Holder(row["id"], row["name"], row["created_at"], len(members), sorted(owners))


async def claim_detail(claim_id: int) -> ClaimDetail:
    row = (
        await SirenClaim.select(
            *SirenClaim.all_columns(),
            SirenClaim.claimant.email,
            SirenClaim.claimant.email_verified_at,
            SirenClaim.reviewer.email,
        )
        .where(SirenClaim.id == claim_id)
        .first()
    )
    if row is None:
        raise NotFound(N_("Cette demande est introuvable."))
    return ClaimDetail(
        claim_id=row["id"],
        created_at=row["created_at"],
        siren=row["siren"],
        organisation_name=row["organisation_name"],
        claimant_id=row["claimant"],
        claimant_email=row["claimant.email"],
        claimant_verified=row["claimant.email_verified_at"] is not None,
        claimant_name=row["claimant_name"],
        claimant_role=row["claimant_role"],
        explanation=row["explanation"],
        status=row["status"],
        reviewer_email=row["reviewer.email"] or "",
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        holder=await _holder(row["siren"]),
    )

"""Use cases of the company registry."""

from __future__ import annotations

from app.clock import Clock
from app.companies.rules import CompanySource, normalise_siren
from app.companies.tables import Company


async def company_for_siren(siren: str, *, clock: Clock) -> Company:
    """The registry's company for a SIREN, created from the SIREN alone when it is unknown.

    A debtor entered by a creditor before any import gets its company this way; the next
    SIRENE import fills in the rest. Raises InvalidIdentifier for a text that is no SIREN.
    """
    siren = normalise_siren(siren)
    await Company.insert(
        Company(siren=siren, source=CompanySource.SIREN_ONLY, updated_at=clock.now())
    ).on_conflict(target=Company.siren, action="DO NOTHING")
    company = await Company.objects().get(Company.siren == siren)
    if company is None:  # inserted just now, or there already: only a concurrent delete
        raise LookupError(f"the company {siren} was deleted meanwhile")
    return company

"""What the public pages and the API read: a company's identity and its stored score.

Nothing here computes a score: the worker stores it (app/scores/service.py) and these
functions only read the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.companies.nomenclature import naf_division
from app.companies.rules import CompanySource, Diffusion, is_scored, page_reference
from app.companies.tables import Company
from app.scores.rules import Band, Confidence, RecommendationStatus, band_for
from app.scores.tables import (
    Outcome,
    PublicationReply,
    Recommendation,
    Score,
    SectorMedian,
    shown_score,
)


@dataclass(frozen=True)
class CompanyIdentity:
    """The registry's public facts of one legal unit."""

    siren: str
    name: str
    sigle: str
    usual_names: str
    legal_category: str
    naf_code: str
    naf_nomenclature: str
    address: str
    postcode: str
    commune: str
    departement: str
    created_on: date | None
    size_band: str
    is_active: bool
    slug: str
    is_restricted: bool  # a sole trader or a partly masked unit: SIREN and commune only
    is_fictitious: bool  # one of the demo data's invented companies
    updated_at: datetime

    @property
    def reference(self) -> str:
        return page_reference(self.siren, self.slug, is_restricted=self.is_restricted)


@dataclass(frozen=True)
class MonthValue:
    month: date
    value: int | None


@dataclass(frozen=True)
class ContributionRow:
    """One line of the explanation table, as the worker stored it (creditors anonymised)."""

    creditor: str
    amount_band: str
    due_month: date
    days_beyond_terms: int
    is_paid: bool
    points: float
    share: float
    is_verified: bool
    has_bonus: bool
    publication: str


@dataclass(frozen=True)
class StoredScore:
    value: int | None
    band: Band | None
    confidence: Confidence | None
    base_value: int | None
    recommendation_points: int
    is_capped_by_publication: bool
    verified_count: int
    declared_count: int
    creditors: int
    contributions: tuple[ContributionRow, ...]
    history: tuple[MonthValue, ...]
    version: int
    computed_at: datetime


@dataclass(frozen=True)
class PublicRecommendation:
    creditor: str
    text: str
    experienced_on: date
    given_at: datetime


@dataclass(frozen=True)
class PublishedInvoice:
    """An unpaid invoice published after due notice, in facts only, with the debtor's reply."""

    creditor: str
    number: str
    amount_cents: int
    due_on: date
    published_on: date
    reply: str | None
    replied_at: datetime | None


@dataclass(frozen=True)
class SectorComparison:
    division: str
    median: int
    companies: int


@dataclass(frozen=True)
class CompanyPage:
    identity: CompanyIdentity
    score: StoredScore | None  # None: never computed, or a restricted unit
    recommendations: tuple[PublicRecommendation, ...] = ()
    publications: tuple[PublishedInvoice, ...] = ()
    sector: SectorComparison | None = None


def _identity(row: dict[str, Any]) -> CompanyIdentity:
    restricted = not is_scored(
        diffusion=Diffusion(row["diffusion"]), is_natural_person=row["is_natural_person"]
    )
    return CompanyIdentity(
        siren=row["siren"],
        name="" if restricted else row["name"],
        sigle="" if restricted else row["sigle"],
        usual_names="" if restricted else row["usual_names"],
        legal_category=row["legal_category"],
        naf_code="" if restricted else row["naf_code"],
        naf_nomenclature=row["naf_nomenclature"],
        address="" if restricted else row["address"],
        postcode="" if restricted else row["postcode"],
        commune=row["commune"],
        departement=row["departement"],
        created_on=None if restricted else row["created_on"],
        size_band="" if restricted else row["size_band"],
        is_active=bool(row["is_active"]),
        slug=row["slug"],
        is_restricted=restricted,
        is_fictitious=row["source"] == CompanySource.DEMO,
        updated_at=row["updated_at"],
    )


_IDENTITY_COLUMNS = (
    Company.id,
    Company.siren,
    Company.name,
    Company.sigle,
    Company.usual_names,
    Company.legal_category,
    Company.naf_code,
    Company.naf_nomenclature,
    Company.address,
    Company.postcode,
    Company.commune,
    Company.departement,
    Company.created_on,
    Company.size_band,
    Company.is_active,
    Company.slug,
    Company.diffusion,
    Company.is_natural_person,
    Company.source,
    Company.updated_at,
)


async def company_row(siren: str) -> tuple[int, CompanyIdentity] | None:
    """The company's id and public identity, or None when the registry has no such SIREN."""
    row = await Company.select(*_IDENTITY_COLUMNS).where(Company.siren == siren).first()
    if row is None:
        return None
    return int(row["id"]), _identity(row)


def _stored_score(row: dict[str, Any]) -> StoredScore:
    contributions = tuple(
        ContributionRow(
            creditor=item["creditor"],
            amount_band=item["amount_band"],
            due_month=date.fromisoformat(item["due_month"]),
            days_beyond_terms=int(item["days_beyond_terms"]),
            is_paid=bool(item["is_paid"]),
            points=float(item["points"]),
            share=float(item["share"]),
            is_verified=bool(item["is_verified"]),
            has_bonus=bool(item["has_bonus"]),
            publication=str(item["publication"] or ""),
        )
        for item in _json(row["contributions"])
    )
    value = row["value"]
    return StoredScore(
        value=value,
        band=None if value is None else band_for(value),
        confidence=None if row["confidence"] is None else Confidence(row["confidence"]),
        base_value=row["base_value"],
        recommendation_points=int(row["recommendation_points"]),
        is_capped_by_publication=bool(row["is_capped_by_publication"]),
        verified_count=int(row["verified_count"]),
        declared_count=int(row["declared_count"]),
        creditors=len({item.creditor for item in contributions}),
        contributions=contributions,
        history=tuple(
            MonthValue(month=date.fromisoformat(point["month"]), value=point["value"])
            for point in _json(row["history"])
        ),
        version=int(row["version"]),
        computed_at=row["computed_at"],
    )


def _json(value: Any) -> list[dict[str, Any]]:
    """Piccolo hands JSON columns back as text; a fresh default may already be a list."""
    if isinstance(value, str):
        loaded: list[dict[str, Any]] = json.loads(value)
        return loaded
    return list(value)


_SCORE_COLUMNS = (
    Score.value,
    Score.confidence,
    Score.base_value,
    Score.recommendation_points,
    Score.is_capped_by_publication,
    Score.verified_count,
    Score.declared_count,
    Score.contributions,
    Score.history,
    Score.version,
    Score.computed_at,
)


async def score_version(company_id: int) -> tuple[int, datetime] | None:
    """(version, computed at) of the stored score: what a cached page of it depends on."""
    row = (
        await Score.select(Score.version, Score.computed_at)
        .where(Score.company == company_id)
        .first()
    )
    return None if row is None else (int(row["version"]), row["computed_at"])


async def page_versions(company_id: int, identity: CompanyIdentity) -> list[object]:
    """What the company page shows changes with: its score, its sector's median, replies.

    Recommendations and publications change the score's version: they are counted in it.
    """
    version = await score_version(company_id)
    division = naf_division(identity.naf_code)
    sector = (
        await SectorMedian.select(SectorMedian.computed_at)
        .where(SectorMedian.division == division)
        .first()
        if division
        else None
    )
    reply = (
        await PublicationReply.select(PublicationReply.written_at)
        .where(PublicationReply.outcome.company == company_id)
        .order_by(PublicationReply.written_at, ascending=False)
        .first()
    )
    return [
        version,
        sector["computed_at"] if sector else None,
        reply["written_at"] if reply else None,
    ]


async def company_page(company_id: int, identity: CompanyIdentity) -> CompanyPage:
    """Everything the company page shows: its identity and, if it may have one, its score."""
    if identity.is_restricted:
        return CompanyPage(identity=identity, score=None)
    row = await Score.select(*_SCORE_COLUMNS).where(Score.company == company_id).first()
    return CompanyPage(
        identity=identity,
        score=None if row is None else _stored_score(row),
        recommendations=await _recommendations(company_id),
        publications=await _publications(company_id),
        sector=await _sector(identity.naf_code, identity.naf_nomenclature),
    )


async def _recommendations(company_id: int) -> tuple[PublicRecommendation, ...]:
    """Approved recommendations, the newest first."""
    rows = (
        await Recommendation.select(
            Recommendation.organisation.name.as_alias("creditor"),
            Recommendation.text,
            Recommendation.experienced_on,
            Recommendation.given_at,
        )
        .where(
            (Recommendation.company == company_id)
            & (Recommendation.status == RecommendationStatus.APPROVED)
        )
        .order_by(Recommendation.given_at, ascending=False)
    )
    return tuple(PublicRecommendation(**row) for row in rows)


async def _publications(company_id: int) -> tuple[PublishedInvoice, ...]:
    """Published invoices still unpaid: a settled one leaves the page at once."""
    rows = (
        await Outcome.select(
            Outcome.id,
            Outcome.organisation.name.as_alias("creditor"),
            Outcome.reference,
            Outcome.amount_cents,
            Outcome.due_on,
            Outcome.published_on,
        )
        .where(
            (Outcome.company == company_id)
            & Outcome.published_on.is_not_null()
            & Outcome.settled_on.is_null()
        )
        .order_by(Outcome.published_on, ascending=False)
    )
    if not rows:
        return ()
    replies = {
        reply["outcome"]: reply
        for reply in await PublicationReply.select(
            PublicationReply.outcome, PublicationReply.text, PublicationReply.written_at
        ).where(PublicationReply.outcome.is_in([row["id"] for row in rows]))
    }
    return tuple(
        PublishedInvoice(
            creditor=row["creditor"],
            number=row["reference"],
            amount_cents=int(row["amount_cents"]),
            due_on=row["due_on"],
            published_on=row["published_on"],
            reply=replies[row["id"]]["text"] if row["id"] in replies else None,
            replied_at=replies[row["id"]]["written_at"] if row["id"] in replies else None,
        )
        for row in rows
    )


async def _sector(naf_code: str, nomenclature: str) -> SectorComparison | None:
    division = naf_division(naf_code) if nomenclature in ("NAFRev2", "") else ""
    if not division:
        return None
    row = (
        await SectorMedian.select(SectorMedian.median, SectorMedian.companies)
        .where(SectorMedian.division == division)
        .first()
    )
    if row is None:
        return None
    return SectorComparison(
        division=division, median=int(row["median"]), companies=row["companies"]
    )


async def scores_of(sirens: list[str]) -> dict[str, int]:
    """The stored score values of these companies (those that have one), for result badges."""
    if not sirens:
        return {}
    rows = await Score.select(Score.company.siren.as_alias("siren"), Score.value).where(
        shown_score() & Score.company.siren.is_in(sirens)
    )
    return {row["siren"]: int(row["value"]) for row in rows}


def _listed() -> Any:
    """The companies whose page search engines may index: a public score, a real company."""
    return shown_score() & (Score.company.source != CompanySource.DEMO)


async def last_listed_company_id() -> int:
    row = (
        await Score.select(Score.company)
        .where(_listed())
        .order_by(Score.company, ascending=False)
        .first()
    )
    return 0 if row is None else int(row["company"])


async def listed_companies(first_id: int, end_id: int) -> list[str]:
    """`<siren>-<slug>` of the listed companies whose id is in [first_id, end_id)."""
    rows = (
        await Score.select(
            Score.company.siren.as_alias("siren"), Score.company.slug.as_alias("slug")
        )
        .where(_listed() & (Score.company >= first_id) & (Score.company < end_id))
        .order_by(Score.company)
    )
    return [page_reference(row["siren"], row["slug"], is_restricted=False) for row in rows]

"""Use cases of the payer score: creditors report outcomes, a job turns them into a score.

Every change to an outcome bumps its company's `outcome_changes` in the same transaction and
queues a recomputation named after the new count. The job recomputes unless a result
computed from at least that count is already stored, so a burst of changes for one company
costs a handful of recomputations, and no change is ever left out of the stored score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from arq.connections import ArqRedis

from app.clock import PARIS, Clock, paris_today
from app.companies.nomenclature import naf_division
from app.companies.rules import Diffusion, is_scored
from app.companies.tables import Company
from app.db import write_transaction
from app.queue import enqueue
from app.scores import rules
from app.scores.tables import Outcome, Recommendation, Score, SectorMedian, shown_score

RECOMPUTE_JOB = "recompute_company_score"
# A recomputation waits this long after a change, so that the changes of one import or one
# correction burst are counted together.
GATHER_SECONDS = 1


@dataclass(frozen=True)
class ReportedOutcome:
    """What a creditor says of one of its invoices to a company."""

    reference: str  # the invoice, unique per organisation
    due_on: date
    amount_cents: int
    settled_on: date | None = None
    is_verified: bool = False
    had_good_reminder: bool = False
    published_on: date | None = None


async def report_outcome(
    *,
    organisation_id: int,
    company_id: int,
    outcome: ReportedOutcome,
    queue: ArqRedis,
    clock: Clock,
) -> None:
    """Record (or correct) one outcome, then queue its company's recomputation."""
    rules.Outcome(  # refuses impossible facts before anything is written
        creditor_id=organisation_id,
        due_on=outcome.due_on,
        amount_cents=outcome.amount_cents,
        settled_on=outcome.settled_on,
        published_on=outcome.published_on,
    )
    now = clock.now()
    values: dict[Any, Any] = {
        Outcome.due_on: outcome.due_on,
        Outcome.amount_cents: outcome.amount_cents,
        Outcome.settled_on: outcome.settled_on,
        Outcome.is_verified: outcome.is_verified,
        Outcome.had_good_reminder: outcome.had_good_reminder,
        Outcome.published_on: outcome.published_on,
        Outcome.updated_at: now,
    }
    async with write_transaction(Outcome._meta.db):
        row = Outcome(
            {Outcome.organisation: organisation_id, Outcome.company: company_id, **values},
            reference=outcome.reference,
        )
        await Outcome.insert(row).on_conflict(
            target=(Outcome.organisation, Outcome.reference),
            action="DO UPDATE",
            values=list(values),
        )
        changes = await _count_change(company_id)
    await request_recomputation(queue, company_id=company_id, key=str(changes))


async def _count_change(company_id: int) -> int:
    rows = (
        await Company.update({Company.outcome_changes: Company.outcome_changes + 1})
        .where(Company.id == company_id)
        .returning(Company.outcome_changes)
    )
    if not rows:
        raise LookupError(f"no company {company_id}")
    return int(rows[0]["outcome_changes"])


async def request_recomputation(queue: ArqRedis, *, company_id: int, key: str) -> None:
    """Queue the company's recomputation once per `key` (the change count, or the day)."""
    await enqueue(
        queue,
        RECOMPUTE_JOB,
        company_id,
        job_id=f"score:{company_id}:{key}",
        defer_by=timedelta(seconds=GATHER_SECONDS),
    )


async def recompute_company_score(*, company_id: int, clock: Clock) -> bool:
    """Store the company's score and history as of today; False when nothing was stale."""
    company = (
        await Company.select(
            Company.siren, Company.diffusion, Company.is_natural_person, Company.outcome_changes
        )
        .where(Company.id == company_id)
        .first()
    )
    if company is None:
        return False  # deleted since the change
    today = paris_today(clock)
    stored = (
        await Score.select(Score.computed_changes, Score.computed_on)
        .where(Score.company == company_id)
        .first()
    )
    changes = int(company["outcome_changes"])
    if stored and stored["computed_changes"] >= changes and stored["computed_on"] >= today:
        return False
    facts = await _outcomes_of(company_id, company_siren=company["siren"])
    recommendations = await _recommendations_of(company_id)
    scored = is_scored(
        diffusion=Diffusion(company["diffusion"]), is_natural_person=company["is_natural_person"]
    )
    result = rules.score(facts, today, recommendations) if scored else None
    history = rules.monthly_history(facts, today, recommendations) if scored else []
    values: dict[Any, Any] = {
        Score.value: None if result is None else result.value,
        Score.confidence: None if result is None else result.confidence,
        Score.base_value: None if result is None else result.base_value,
        Score.recommendation_points: 0 if result is None else result.recommendation_points,
        Score.is_capped_by_publication: bool(result and result.is_capped_by_publication),
        Score.verified_count: 0 if result is None else result.verified_count,
        Score.declared_count: 0 if result is None else result.declared_count,
        Score.contributions: _contributions_json(result),
        Score.history: [
            {"month": point.month.isoformat(), "value": point.value} for point in history
        ],
        Score.computed_changes: changes,
        Score.computed_on: today,
        Score.computed_at: clock.now(),
    }
    if stored is None:
        await Score.insert(Score({Score.company: company_id, **values})).on_conflict(
            target=Score.company, action="DO NOTHING"
        )
        return True
    # Another worker may have stored a newer result meanwhile: never go back to an older one.
    await Score.update({**values, Score.version: Score.version + 1}).where(
        (Score.company == company_id) & (Score.computed_changes <= changes)
    )
    return True


async def _outcomes_of(company_id: int, *, company_siren: str) -> list[rules.Outcome]:
    rows = await Outcome.select(
        Outcome.organisation,
        Outcome.organisation.siren.as_alias("creditor_siren"),
        Outcome.due_on,
        Outcome.amount_cents,
        Outcome.settled_on,
        Outcome.is_verified,
        Outcome.had_good_reminder,
        Outcome.published_on,
    ).where(Outcome.company == company_id)
    return [
        rules.Outcome(
            creditor_id=row["organisation"],
            due_on=row["due_on"],
            amount_cents=row["amount_cents"],
            settled_on=row["settled_on"],
            is_verified=row["is_verified"],
            had_good_reminder=row["had_good_reminder"],
            published_on=row["published_on"],
            is_related_party=row["creditor_siren"] == company_siren,
        )
        for row in rows
    ]


async def _recommendations_of(company_id: int) -> list[rules.Recommendation]:
    rows = await Recommendation.select(Recommendation.organisation, Recommendation.given_at).where(
        (Recommendation.company == company_id)
        & (Recommendation.status == rules.RecommendationStatus.APPROVED)
    )
    return [
        rules.Recommendation(
            creditor_id=row["organisation"], given_on=row["given_at"].astimezone(PARIS).date()
        )
        for row in rows
    ]


@dataclass(frozen=True)
class GivenRecommendation:
    """What a creditor says of a company it worked with."""

    text: str
    experienced_on: date
    status: rules.RecommendationStatus = rules.RecommendationStatus.PENDING


async def record_recommendation(
    *,
    organisation_id: int,
    company_id: int,
    recommendation: GivenRecommendation,
    queue: ArqRedis,
    clock: Clock,
) -> None:
    """Record (or replace) the creditor's recommendation, then queue the recomputation."""
    values: dict[Any, Any] = {
        Recommendation.text: recommendation.text,
        Recommendation.experienced_on: recommendation.experienced_on,
        Recommendation.status: recommendation.status,
        Recommendation.given_at: clock.now(),
    }
    async with write_transaction(Recommendation._meta.db):
        await Recommendation.insert(
            Recommendation(
                {
                    Recommendation.organisation: organisation_id,
                    Recommendation.company: company_id,
                    **values,
                }
            )
        ).on_conflict(
            target=(Recommendation.organisation, Recommendation.company),
            action="DO UPDATE",
            values=list(values),
        )
        changes = await _count_change(company_id)
    await request_recomputation(queue, company_id=company_id, key=str(changes))


async def refresh_sector_medians(*, clock: Clock) -> int:
    """Store the median score of each NAF division with enough scored companies."""
    rows = await Score.select(Score.value, Score.company.naf_code.as_alias("naf_code")).where(
        shown_score() & (Score.company.naf_nomenclature == "NAFRev2")
    )
    by_division: dict[str, list[int]] = {}
    for row in rows:
        division = naf_division(row["naf_code"])
        if division:
            by_division.setdefault(division, []).append(int(row["value"]))
    now = clock.now()
    medians = {
        division: (median, len(values))
        for division, values in by_division.items()
        if (median := rules.sector_median(values)) is not None
    }
    async with write_transaction(SectorMedian._meta.db):
        await SectorMedian.delete(force=True)
        if medians:
            await SectorMedian.insert(
                *(
                    SectorMedian(division=division, median=median, companies=count, computed_at=now)
                    for division, (median, count) in sorted(medians.items())
                )
            )
    return len(medians)


def _contributions_json(result: rules.Score | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    return [
        {
            "creditor": rules.creditor_letter(row.creditor_rank),
            "amount_band": row.amount_band,
            "due_month": row.due_on.replace(day=1).isoformat(),
            "days_beyond_terms": row.days_beyond_terms,
            "is_paid": row.is_paid,
            "points": round(row.points, 1),
            "share": round(row.share, 4),
            "is_verified": row.is_verified,
            "has_bonus": row.has_bonus,
            "publication": row.publication,
        }
        for row in result.contributions
    ]


async def stale_scores(*, clock: Clock, limit: int = 10_000) -> list[int]:
    """Companies whose stored score was computed before today (unpaid invoices age daily)."""
    rows = (
        await Score.select(Score.company)
        .where(Score.computed_on < paris_today(clock))
        .order_by(Score.computed_on)
        .limit(limit)
    )
    return [int(row["company"]) for row in rows]

"""Outcomes reported by creditors become a stored score, through the worker, retroactively."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from arq.connections import ArqRedis
from litestar import Litestar

from app.accounts.tables import Organisation
from app.clock import Clock, FixedClock
from app.companies.rules import CompanySource, Diffusion, InvalidIdentifier
from app.companies.service import company_for_siren
from app.companies.tables import Company
from app.scores.service import (
    GATHER_SECONDS,
    RECOMPUTE_JOB,
    ReportedOutcome,
    recompute_company_score,
    report_outcome,
)
from app.scores.tables import Outcome, Score
from tests.factories import make_company, make_organisation

TODAY = date(2026, 12, 1)
RunWorker = Callable[[], Awaitable[int]]


@pytest.fixture
def app_clock() -> Clock:
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


def queue_of(app: Litestar) -> ArqRedis:
    queue: ArqRedis = app.state.queue
    return queue


async def report(
    app: Litestar, clock: Clock, creditor: Organisation, company: Company, outcome: ReportedOutcome
) -> None:
    """The creditor reports (or corrects) one outcome about the company, through the service."""
    await report_outcome(
        organisation_id=creditor.id,
        company_id=company.id,
        outcome=outcome,
        queue=queue_of(app),
        clock=clock,
    )


async def stored(company_id: int) -> dict[str, object] | None:
    row: dict[str, object] | None = (
        await Score.select().where(Score.company == company_id).output(load_json=True).first()
    )
    return row


async def test_a_reported_outcome_becomes_the_stored_score_after_the_worker_ran(
    app: Litestar, run_worker: RunWorker, app_clock: Clock
) -> None:
    creditor, company = await make_organisation(), await make_company()
    late = ReportedOutcome(
        reference="F-2026-001",
        due_on=date(2026, 9, 1),
        amount_cents=120_000,
        settled_on=date(2026, 10, 1),  # 30 days late: 50 points
    )
    await report(app, app_clock, creditor, company, late)
    assert await stored(company.id) is None  # the page reads the stored score only

    await run_worker()

    score = await stored(company.id)
    assert score is not None
    assert (score["value"], score["confidence"], score["declared_count"]) == (50, "low", 1)
    assert score["contributions"] == [
        {
            "creditor": "A",
            "amount_band": "1k_10k",
            "due_month": "2026-09-01",
            "days_beyond_terms": 30,
            "is_paid": True,
            "points": 50.0,
            "share": 1.0,
            "is_verified": False,
            "has_bonus": False,
            "publication": None,
        }
    ]
    history = score["history"]
    assert isinstance(history, list) and len(history) == 24
    assert history[-4:] == [
        {"month": "2026-09-01", "value": 51},  # 29 days late on 30 September, not paid yet
        {"month": "2026-10-01", "value": 50},
        {"month": "2026-11-01", "value": 50},
        {"month": "2026-12-01", "value": 50},
    ]


async def test_a_corrected_payment_date_rewrites_the_stored_history_from_that_month_on(
    app: Litestar, run_worker: RunWorker, app_clock: Clock
) -> None:
    creditor, company = await make_organisation(), await make_company()
    unpaid = ReportedOutcome(reference="F-7", due_on=date(2026, 6, 1), amount_cents=50_000)
    paid_late = replace(unpaid, settled_on=date(2026, 8, 1))  # the creditor records it late
    histories = []
    for outcome in (unpaid, paid_late):
        await report(app, app_clock, creditor, company, outcome)
        await run_worker()
        score = await stored(company.id)
        assert score is not None
        histories.append({point["month"]: point["value"] for point in score["history"]})  # type: ignore[attr-defined]
    before, after = histories
    assert after["2026-05-01"] is None  # not due yet
    assert before["2026-06-01"] == after["2026-06-01"] == 51  # 29 days late on 30 June
    assert before["2026-07-01"] == after["2026-07-01"] == 40  # 60 days on 31 July
    assert (before["2026-08-01"], after["2026-08-01"]) == (30, 40)  # paid 1 August, 61 days
    assert (before["2026-12-01"], after["2026-12-01"]) == (10, 40)  # 183 days unpaid: 10
    assert await Outcome.count() == 1  # the same invoice, corrected


async def test_a_burst_of_changes_for_one_company_is_a_handful_of_recomputations(
    app: Litestar, run_worker: RunWorker, app_clock: Clock
) -> None:
    creditor, company = await make_organisation(), await make_company()
    for n in range(200):
        await report(
            app,
            app_clock,
            creditor,
            company,
            ReportedOutcome(reference=f"F-{n}", due_on=date(2026, 10, 1), amount_cents=10_000),
        )
    await run_worker()
    score = await stored(company.id)
    assert score is not None
    assert score["computed_changes"] == 200
    assert score["version"] <= 3  # type: ignore[operator]
    assert len(score["contributions"]) == 200  # type: ignore[arg-type]


async def test_a_change_queues_its_recomputation_a_moment_later_to_gather_a_burst(
    app: Litestar, app_clock: Clock
) -> None:
    """The delay counts in the queue's real time, whatever the application's clock says."""
    creditor, company = await make_organisation(), await make_company()
    before = time.time()  # noqa: TID251 (arq counts in real time)
    for n in range(2):
        await report(
            app,
            app_clock,
            creditor,
            company,
            ReportedOutcome(reference="F-1", due_on=TODAY, amount_cents=10_000 + n),
        )
    after = time.time()  # noqa: TID251
    jobs = sorted(await queue_of(app).queued_jobs(), key=lambda job: job.job_id or "")
    assert [(job.function, job.args) for job in jobs] == [(RECOMPUTE_JOB, (company.id,))] * 2
    # arq stamps jobs in whole milliseconds, rounded: compare in milliseconds too.
    earliest = math.floor((before + GATHER_SECONDS) * 1000)
    latest = math.ceil((after + GATHER_SECONDS) * 1000)
    for job in jobs:
        assert earliest <= (job.score or 0) <= latest
    assert [job.job_id for job in jobs] == [
        f"{queue_of(app).default_queue_name}:score:{company.id}:{changes}" for changes in (1, 2)
    ]


async def test_a_stored_score_that_is_up_to_date_is_left_alone(
    app: Litestar, run_worker: RunWorker, app_clock: Clock
) -> None:
    creditor, company = await make_organisation(), await make_company()
    outcome = ReportedOutcome(reference="F-1", due_on=date(2026, 11, 1), amount_cents=10_000)
    await report(app, app_clock, creditor, company, outcome)
    await run_worker()
    assert await recompute_company_score(company_id=company.id, clock=app_clock) is False
    later = FixedClock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))  # 32 days late: 49.3
    assert await recompute_company_score(company_id=company.id, clock=later) is True
    score = await stored(company.id)
    assert score is not None and score["version"] == 2 and score["value"] == 49


@pytest.mark.parametrize(
    "fields",
    [{"diffusion": Diffusion.PARTIAL}, {"is_natural_person": True, "legal_category": "1000"}],
    ids=["partly diffused", "natural person"],
)
async def test_a_sole_trader_or_a_masked_unit_never_gets_a_score(
    app: Litestar, run_worker: RunWorker, app_clock: Clock, fields: dict[str, object]
) -> None:
    creditor, company = await make_organisation(), await make_company(**fields)
    await report(
        app,
        app_clock,
        creditor,
        company,
        ReportedOutcome(reference="F-1", due_on=date(2026, 9, 1), amount_cents=10_000),
    )
    await run_worker()
    score = await stored(company.id)
    assert score is not None
    assert (score["value"], score["contributions"], score["history"]) == (None, [], [])


async def test_a_creditor_reporting_on_its_own_siren_is_not_counted(
    app: Litestar, run_worker: RunWorker, app_clock: Clock
) -> None:
    creditor = await make_organisation()
    itself = await make_company(siren=creditor.siren)
    await report(
        app,
        app_clock,
        creditor,
        itself,
        ReportedOutcome(reference="F-1", due_on=date(2026, 9, 1), amount_cents=10_000),
    )
    await run_worker()
    score = await stored(itself.id)
    assert score is not None and score["value"] is None


async def test_an_impossible_outcome_is_refused_before_anything_is_written(
    app: Litestar, app_clock: Clock
) -> None:
    creditor, company = await make_organisation(), await make_company()
    with pytest.raises(ValueError):
        await report(
            app,
            app_clock,
            creditor,
            company,
            ReportedOutcome(reference="F-1", due_on=TODAY, amount_cents=0),
        )
    assert await Outcome.count() == 0
    assert await Company.select(Company.outcome_changes).first() == {"outcome_changes": 0}


async def test_a_company_is_created_from_its_siren_alone_and_found_again(
    db: Litestar, app_clock: Clock
) -> None:
    created = await company_for_siren("552 120 222", clock=app_clock)
    again = await company_for_siren("552120222", clock=app_clock)
    assert again.id == created.id
    assert (created.siren, created.name, created.source) == (
        "552120222",
        "",
        CompanySource.SIREN_ONLY,
    )
    assert await Company.count() == 1
    with pytest.raises(InvalidIdentifier):
        await company_for_siren("552 120 223", clock=app_clock)
    assert await Company.count() == 1

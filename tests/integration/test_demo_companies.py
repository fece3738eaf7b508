"""The demo companies, seeded through the real SIRENE import, with outcomes and scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app import demo
from app.accounts.tables import User
from app.clock import Clock
from app.companies.rules import CompanySource, Diffusion
from app.companies.tables import Company
from app.dev.demo_companies import DemoReport, demo_siren, seed_companies
from app.scores.rules import HISTORY_MONTHS, PUBLICATION_CAP, Band, band_for
from app.scores.tables import Outcome, Score
from app.security import Passwords
from tests.factories import log_in

COUNT = 60


@pytest.fixture
async def report(db: Litestar, clock: Clock, tmp_path: Path) -> DemoReport:
    return await seed_companies(count=COUNT, clock=clock, directory=tmp_path)


async def scores_by_siren() -> dict[str, dict[str, Any]]:
    rows = await Score.select(
        Score.company.siren.as_alias("siren"),
        Score.value,
        Score.history,
        Score.is_capped_by_publication,
    ).output(load_json=True)
    return {row["siren"]: row for row in rows}


async def company(siren: str) -> dict[str, Any]:
    row = await Company.select().where(Company.siren == siren).first()
    assert row is not None
    return row


async def test_every_company_is_imported_as_demo_data(report: DemoReport) -> None:
    assert report.companies == COUNT
    assert await Company.count() == COUNT
    assert await Company.count().where(Company.source == CompanySource.DEMO) == COUNT
    assert await Company.count().where(Company.name != "") > COUNT * 0.8
    assert await Company.count().where(Company.commune == "") == 0


async def test_scored_companies_have_a_value_a_history_and_varied_bands(
    report: DemoReport,
) -> None:
    scores = await scores_by_siren()
    valued = {siren: row for siren, row in scores.items() if row["value"] is not None}
    assert len(valued) == report.scored >= COUNT // 3
    for row in valued.values():
        assert len(row["history"]) == HISTORY_MONTHS
        assert any(point["value"] is not None for point in row["history"])
    assert len({band_for(row["value"]) for row in valued.values()}) >= 3
    assert band_for(valued[report.best]["value"]) is Band.ON_TIME
    assert valued[report.worst]["value"] <= PUBLICATION_CAP
    assert valued[report.worst]["is_capped_by_publication"]
    assert report.outcomes == await Outcome.count()
    creditors = await Outcome.select(Outcome.organisation).distinct()
    assert len(creditors) == report.creditors > 1


async def test_people_and_masked_units_keep_their_data_and_get_no_score(
    report: DemoReport,
) -> None:
    scores = await scores_by_siren()
    person = await company(report.sole_trader)
    assert person["is_natural_person"] and person["name"] == "" and person["address"] == ""
    assert await Outcome.count().where(Outcome.company == person["id"]) == 1
    assert scores[report.sole_trader]["value"] is None
    masked = await company(report.partial)
    assert masked["diffusion"] == Diffusion.PARTIAL
    assert (masked["name"], masked["sigle"], masked["naf_code"], masked["address"]) == ("",) * 4
    assert masked["commune"]
    assert report.partial not in scores
    stored = await Company.select(Company.name, Company.sigle, Company.address, Company.naf_code)
    assert not any("[ND]" in value for row in stored for value in row.values())


async def test_companies_nobody_reported_on_have_no_number(report: DemoReport) -> None:
    reported = [row["company"] for row in await Outcome.select(Outcome.company).distinct()]
    quiet = await Company.select(Company.id, Company.siren).where(Company.id.not_in(reported))
    assert report.no_data in {row["siren"] for row in quiet}
    assert len(quiet) >= COUNT // 5
    assert not await Score.exists().where(Score.company.is_in([row["id"] for row in quiet]))


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {
        table._meta.tablename: await table.select().order_by(table._meta.primary_key)
        for table in (Company, Outcome, Score)
    }


async def test_seeding_again_changes_nothing(
    report: DemoReport, clock: Clock, tmp_path: Path
) -> None:
    before = await snapshot()
    again = await seed_companies(count=COUNT, clock=clock, directory=tmp_path / "again")
    assert again == report
    assert await snapshot() == before


async def test_seed_demo_seeds_the_companies_once(db: Litestar, clock: Clock) -> None:
    passwords = Passwords("cheapest")
    assert await demo.seed_demo(passwords=passwords, clock=clock, companies=12)
    assert await Company.count().where(Company.source == CompanySource.DEMO) == 12
    assert await Company.exists().where(Company.siren == demo_siren(11))
    assert not await demo.seed_demo(passwords=passwords, clock=clock, companies=12)
    assert await Company.count() == 12


async def test_the_demo_creditor_can_log_in_and_owns_the_demo_organisation(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    assert await demo.seed_demo(passwords=Passwords("cheapest"), clock=clock, companies=5)

    user = await User.objects().get(User.email == demo.DEMO_EMAIL)
    assert user is not None
    assert (user.full_name, user.email_verified_at, user.created_at) == (
        "Camille Démo",
        clock.now(),
        clock.now(),
    )
    dashboard = await log_in(client, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
    assert dashboard.url.path == "/app"
    assert "Atelier Démo SARL" in dashboard.text

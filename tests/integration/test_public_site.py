"""The public site as an anonymous visitor reads it: search, company pages, robots, sitemaps."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from litestar import Litestar

from app.accounts.tables import Organisation
from app.clock import Clock, FixedClock
from app.companies.rules import Diffusion, normalise_name
from app.companies.search import index_search_words
from app.companies.tables import Company
from app.scores.rules import RECOMMENDATION_POINTS, SECTOR_MIN_COMPANIES, RecommendationStatus
from app.scores.service import (
    GivenRecommendation,
    ReportedOutcome,
    record_recommendation,
    refresh_sector_medians,
    report_outcome,
)
from app.scores.tables import Outcome, PublicationReply, Score
from tests.conftest import make_client
from tests.factories import (
    definitions,
    log_in,
    make_company,
    make_creditor,
    make_organisation,
    table_rows,
)

TODAY = date(2026, 12, 1)


@pytest.fixture
def app_clock() -> Clock:
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


async def scored_company(
    app: Litestar,
    run_worker: object,
    name: str,
    creditors: list[Organisation] | None = None,
    **fields: object,
) -> Company:
    """A company two creditors reported on: one paid on time, one 30 days late."""
    company = await make_company(name=name, **fields)
    creditors = creditors or [await make_organisation(), await make_organisation()]
    await index_search_words([normalise_name(name)])
    for n, (due, settled) in enumerate(
        [(date(2026, 6, 30), date(2026, 6, 30)), (date(2026, 9, 15), date(2026, 10, 15))]
    ):
        await report_outcome(
            organisation_id=creditors[n].id,
            company_id=company.id,
            outcome=ReportedOutcome(
                reference=f"F-{company.siren}-{n}",
                due_on=due,
                amount_cents=250_000,
                settled_on=settled,
            ),
            queue=app.state.queue,
            clock=app.state.clock,
        )
    await run_worker()  # type: ignore[operator]
    return company


async def test_a_company_page_shows_its_stored_score_chart_and_explanation(
    app: Litestar, run_worker: object
) -> None:
    company = await scored_company(app, run_worker, "Menuiserie Dubois", commune="Lyon")
    async with make_client(app) as visitor:
        page = await visitor.get(f"/entreprises/{company.siren}-menuiserie-dubois")
    assert page.status_code == 200
    assert "Menuiserie Dubois" in page.text
    assert re.search(r'class="score-value">(\d+)<', page.text).group(1) == "65"  # type: ignore[union-attr]
    assert '<span class="score-band">Retards légers</span>' in page.text  # 60 to 79
    facts = definitions(page.text)
    assert facts["Factures déclarées"] == "2"
    assert facts["Créanciers"] == "2"
    assert "<polyline" in page.text, "the history is drawn on the server"
    rows = table_rows(page.text)
    assert ["A", "1 000 à 10 000 €", "juin 2026", "à l'heure", "déclarée", "80", "50 %"] in rows
    assert ["B", "1 000 à 10 000 €", "septembre 2026", "30 jours", "déclarée", "50", "50 %"] in rows
    assert "set-cookie" not in page.headers, "an anonymous visitor gets no cookie"
    assert page.headers["cache-control"].startswith("public")


async def test_a_current_copy_gets_304_and_a_new_outcome_a_new_page(
    app: Litestar, run_worker: object
) -> None:
    company = await scored_company(app, run_worker, "Transports Martin")
    path = f"/entreprises/{company.siren}-transports-martin"
    async with make_client(app) as visitor:
        first = await visitor.get(path)
        etag = first.headers["etag"]
        again = await visitor.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        creditor = await make_organisation()
        await report_outcome(
            organisation_id=creditor.id,
            company_id=company.id,
            outcome=ReportedOutcome(
                reference="F-late", due_on=date(2026, 7, 1), amount_cents=900_000
            ),
            queue=app.state.queue,
            clock=app.state.clock,
        )
        await run_worker()  # type: ignore[operator]
        changed = await visitor.get(path, headers={"if-none-match": etag})
        api_before = first.text
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert definitions(changed.text)["Créanciers"] == "3"
    assert definitions(api_before)["Créanciers"] == "2"


async def test_a_company_without_outcomes_shows_no_number(app: Litestar) -> None:
    company = await make_company(name="Atelier Sans Facture")
    async with make_client(app) as visitor:
        page = await visitor.get(f"/entreprises/{company.siren}")
    assert page.status_code == 200, "the bare SIREN redirects to the canonical page"
    assert str(page.url).endswith(f"{company.siren}-atelier-sans-facture")
    assert "Pas encore de données" in page.text
    assert "score-value" not in page.text and "/100" not in page.text
    assert '<meta name="robots" content="noindex' in page.text


@pytest.mark.parametrize(
    "fields",
    [
        {"is_natural_person": True, "legal_category": "1000"},
        {"diffusion": Diffusion.PARTIAL},
    ],
    ids=["sole trader", "partly masked unit"],
)
async def test_a_restricted_unit_shows_only_its_siren_and_commune(
    app: Litestar, run_worker: object, fields: dict[str, object]
) -> None:
    company = await scored_company(
        app, run_worker, "Claire Martin Secret", commune="Villeurbanne", address="3 rue X", **fields
    )
    async with make_client(app) as visitor:
        page = await visitor.get(f"/entreprises/{company.siren}-claire-martin-secret")
        found = await visitor.get("/recherche", params={"q": "claire martin secret"})
        sitemap = await visitor.get("/sitemaps/entreprises/0")
    assert str(page.url).endswith(f"/entreprises/{company.siren}"), "no name in its address"
    assert "Villeurbanne" in page.text
    for hidden in ("Claire", "Martin", "3 rue X", "score-value"):
        assert hidden not in page.text
    assert '<meta name="robots" content="noindex' in page.text
    assert company.siren not in found.text
    assert company.siren not in sitemap.text


@pytest.mark.parametrize(
    "reference", ["123456789", "55212022", "abc", "552120222-", "552120222-Société"]
)
async def test_a_malformed_or_unknown_reference_is_a_404(app: Litestar, reference: str) -> None:
    async with make_client(app) as visitor:
        page = await visitor.get(f"/entreprises/{reference}")
    assert page.status_code == 404


async def test_search_finds_a_company_and_answers_htmx_with_the_results_only(
    app: Litestar, run_worker: object
) -> None:
    company = await scored_company(app, run_worker, "Boulangerie des Halles")
    async with make_client(app) as visitor:
        page = await visitor.get("/recherche", params={"q": "boulangerie hal"})
        fragment = await visitor.get(
            "/recherche", params={"q": "Boulangerie"}, headers={"hx-request": "true"}
        )
        by_siren = await visitor.get("/recherche", params={"q": company.siren})
    assert page.status_code == 200
    assert f'href="/entreprises/{company.siren}-boulangerie-des-halles"' in page.text
    assert "65</strong>/100 · Retards légers</span>" in page.text
    assert fragment.text.lstrip().startswith('<div id="results"')
    assert "<html" not in fragment.text
    assert "Boulangerie des Halles" in by_siren.text


@pytest.mark.parametrize(
    "query",
    ["", "a", "x" * 1000, '"*():^-', "boul\x00angerie", "'; DROP TABLE company; --", "NEAR(a b)"],
)
async def test_no_query_breaks_the_search(app: Litestar, query: str) -> None:
    async with make_client(app) as visitor:
        page = await visitor.get("/recherche", params={"q": query})
    assert page.status_code == 200
    assert "Aucune entreprise trouvée" in page.text or "Tapez au moins deux lettres" in page.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "societe", "lieu": "Lyon"}, "Indiquez un département"),
        ({"q": "societe", "activite": "62.01ZZ"}, "Indiquez une section"),
        ({"q": "societe", "etat": "toutes"}, "Choisissez un état"),
        ({"q": "societe", "page": "0"}, "Cette page de résultats n'existe pas"),
        ({"q": "societe", "page": "51"}, "Cette page de résultats n'existe pas"),
    ],
)
async def test_a_bad_filter_gets_a_400_and_says_which(
    app: Litestar, params: dict[str, str], message: str
) -> None:
    async with make_client(app) as visitor:
        page = await visitor.get("/recherche", params=params)
    assert page.status_code == 400
    assert message in page.text


async def test_filters_narrow_the_results(app: Litestar) -> None:
    for name, departement, naf in [
        ("Garage Alpha Lyon", "69", "45.20A"),
        ("Garage Alpha Paris", "75", "45.20A"),
        ("Garage Alpha Logiciel", "69", "62.01Z"),
    ]:
        await make_company(
            name=name, departement=departement, naf_code=naf, naf_nomenclature="NAFRev2"
        )
        await index_search_words([normalise_name(name)])
    async with make_client(app) as visitor:
        in_69 = await visitor.get("/recherche", params={"q": "garage alpha", "lieu": "69"})
        trade = await visitor.get("/recherche", params={"q": "garage alpha", "activite": "G"})
        both = await visitor.get(
            "/recherche", params={"q": "garage alpha", "lieu": "69", "activite": "4520A"}
        )
    assert "Garage Alpha Paris" not in in_69.text and "Garage Alpha Logiciel" in in_69.text
    assert "Garage Alpha Logiciel" not in trade.text and "Garage Alpha Paris" in trade.text
    assert "Garage Alpha Lyon" in both.text
    assert "Garage Alpha Paris" not in both.text and "Garage Alpha Logiciel" not in both.text


async def test_robots_and_sitemaps_list_indexable_pages_only(
    app: Litestar, run_worker: object
) -> None:
    scored = await scored_company(app, run_worker, "Fromagerie Listee")
    unscored = await make_company(name="Fromagerie Sans Indice")
    async with make_client(app) as visitor:
        robots = await visitor.get("/robots.txt")
        index = await visitor.get("/sitemap.xml")
        part = await visitor.get("/sitemaps/entreprises/0")
    assert "Sitemap: http://testserver.local/sitemap.xml" in robots.text
    assert "http://testserver.local/sitemaps/entreprises/0" in index.text
    assert f"/entreprises/{scored.siren}-fromagerie-listee</loc>" in part.text
    assert unscored.siren not in part.text


async def test_the_score_method_page_quotes_the_rules(app: Litestar) -> None:
    async with make_client(app) as visitor:
        page = await visitor.get("/indice-de-ponctualite")
    assert page.status_code == 200
    assert ["payée le jour de l'échéance", "80"] in table_rows(page.text)
    assert ["180 jours de retard ou plus", "10"] in table_rows(page.text)
    assert "set-cookie" not in page.headers


async def test_the_language_switch_of_a_shared_page_sets_only_the_language(app: Litestar) -> None:
    async with make_client(app) as visitor:
        home = await visitor.get("/")
        assert 'action="/langue"' in home.text
        english = await visitor.get("/langue", params={"locale": "en", "next": "/"})
    assert english.url.path == "/"
    assert visitor.cookies.get("lang") == "en"
    assert '<html lang="en">' in english.text


async def test_the_api_gives_the_same_score_as_the_page(app: Litestar, run_worker: object) -> None:
    company = await scored_company(app, run_worker, "Imprimerie Rapide", commune="Nantes")
    async with make_client(app) as program:
        one = await program.get(f"/api/v1/companies/{company.siren}")
        found = await program.get("/api/v1/companies", params={"q": "imprimerie rapi"})
    body = one.json()
    assert body["name"] == "Imprimerie Rapide" and body["restricted"] is False
    assert body["score"]["value"] == 65 and body["score"]["band"] == "slight"
    assert body["score"]["declared_outcomes"] == 2 and body["score"]["creditors"] == 2
    assert len(body["history"]) == 24 and body["history"][-1]["value"] == 65
    assert body["url"].endswith(f"/entreprises/{company.siren}-imprimerie-rapide")
    hits = found.json()["results"]
    assert [(hit["siren"], hit["score"]) for hit in hits] == [(company.siren, 65)]
    assert "set-cookie" not in one.headers


async def test_the_api_shows_a_restricted_unit_by_siren_and_commune_only(
    app: Litestar, run_worker: object
) -> None:
    company = await scored_company(
        app, run_worker, "Paul Durand", commune="Brest", is_natural_person=True
    )
    async with make_client(app) as program:
        body = (await program.get(f"/api/v1/companies/{company.siren}")).json()
    assert body == {
        "siren": company.siren,
        "commune": "Brest",
        "restricted": True,
        "url": f"http://testserver.local/entreprises/{company.siren}",
        "score": None,
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/companies/123456789", 400),
        ("/api/v1/companies/abc", 400),
        ("/api/v1/companies/552120222", 404),
        ("/api/v1/companies?page=0", 400),
        ("/api/v1/companies?page=abc", 400),
        ("/api/v1/companies?q=%00%22*():^-", 200),
        ("/api/v1/companies?q=" + "x" * 1000, 200),
    ],
)
async def test_bad_api_calls_get_a_json_answer_never_a_500(
    app: Litestar, path: str, status: int
) -> None:
    async with make_client(app) as program:
        response = await program.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert ("error" in response.json()) is (status != 200)


async def test_the_api_is_limited_per_client_address(app: Litestar) -> None:
    limit = app.state.settings.api_requests_per_minute
    async with make_client(app) as program:
        answers = [
            (await program.get("/api/v1/companies", params={"q": "x"})).status_code
            for _ in range(limit + 1)
        ]
        refused = await program.get("/api/v1/companies", params={"q": "x"})
    assert answers[:limit] == [200] * limit and answers[-1] == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_the_schema_describes_the_api_and_nothing_else(app: Litestar) -> None:
    async with make_client(app) as program:
        schema = (await program.get("/api/schema/openapi.json")).json()
    assert sorted(schema["paths"]) == ["/api/v1/companies", "/api/v1/companies/{siren}"]


async def test_approved_recommendations_show_and_count_pending_ones_do_neither(
    app: Litestar, run_worker: object
) -> None:
    company = await scored_company(app, run_worker, "Charpente Leroy")
    before = (await Score.select(Score.value).where(Score.company == company.id).first())["value"]
    paid = await Outcome.select(Outcome.organisation).where(Outcome.company == company.id)
    for row, (text, status) in zip(
        paid,
        [
            ("Toujours réglé dans les délais.", RecommendationStatus.APPROVED),
            ("En attente de relecture.", RecommendationStatus.PENDING),
        ],
        strict=True,
    ):
        await record_recommendation(
            organisation_id=row["organisation"],
            company_id=company.id,
            recommendation=GivenRecommendation(
                text=text, experienced_on=date(2026, 5, 1), status=status
            ),
            queue=app.state.queue,
            clock=app.state.clock,
        )
    await run_worker()  # type: ignore[operator]
    after = (await Score.select(Score.value).where(Score.company == company.id).first())["value"]
    async with make_client(app) as visitor:
        page = await visitor.get(f"/entreprises/{company.siren}-charpente-leroy")
    assert after == before + RECOMMENDATION_POINTS, "one approved recommendation counts"
    assert "Toujours réglé dans les délais." in page.text
    assert "relation commerciale en mai 2026" in page.text
    assert "En attente de relecture." not in page.text


async def test_an_unpaid_published_invoice_shows_in_facts_with_the_reply_until_it_is_paid(
    app: Litestar, run_worker: object
) -> None:
    company = await make_company(name="Negoce Retard")
    creditor = await make_organisation(name="Menuiserie Dubois")
    published = ReportedOutcome(
        reference="F-2026-0142",
        due_on=date(2026, 8, 31),
        amount_cents=125_000,
        published_on=date(2026, 10, 15),
    )
    await report_outcome(
        organisation_id=creditor.id,
        company_id=company.id,
        outcome=published,
        queue=app.state.queue,
        clock=app.state.clock,
    )
    await run_worker()  # type: ignore[operator]
    outcome = await Outcome.select(Outcome.id).where(Outcome.company == company.id).first()
    await PublicationReply(
        outcome=outcome["id"],
        text="Livraison incomplète, nous attendons un avoir.",
        written_at=datetime(2026, 10, 20, 10, 0, tzinfo=UTC),
    ).save()
    path = f"/entreprises/{company.siren}-negoce-retard"
    async with make_client(app) as visitor:
        page = await visitor.get(path)
        await report_outcome(
            organisation_id=creditor.id,
            company_id=company.id,
            outcome=replace(published, settled_on=date(2026, 11, 30)),
            queue=app.state.queue,
            clock=app.state.clock,
        )
        await run_worker()  # type: ignore[operator]
        settled = await visitor.get(path)
    assert (
        "Facture n° F-2026-0142 de 1 250,00 € TTC émise par Menuiserie Dubois, échue le"
        " 31 août 2026, impayée au 15 octobre 2026 selon le créancier."
        in page.text.replace("\u202f", " ").replace("\xa0", " ")
    )
    assert "Livraison incomplète, nous attendons un avoir." in page.text
    assert "F-2026-0142" not in settled.text, "a settled invoice leaves the page"
    assert "Livraison incomplète" not in settled.text


async def test_the_sector_median_shows_once_enough_companies_of_the_division_have_a_score(
    app: Litestar, run_worker: object
) -> None:
    creditors = [await make_organisation(), await make_organisation()]
    companies = [
        await scored_company(
            app,
            run_worker,
            f"Logiciel {n}",
            creditors,
            naf_code="62.01Z",
            naf_nomenclature="NAFRev2",
        )
        for n in range(SECTOR_MIN_COMPANIES)
    ]
    path = f"/entreprises/{companies[0].siren}-logiciel-0"
    async with make_client(app) as visitor:
        before = await visitor.get(path)
        assert await refresh_sector_medians(clock=app.state.clock) == 1
        after = await visitor.get(path, headers={"if-none-match": before.headers["etag"]})
    assert "Médiane de son secteur" not in before.text
    assert after.status_code == 200, "a new median is a new page"
    assert (
        "Médiane de son secteur (Programmation, conseil et autres activités informatiques) :"
        f" 65/100, sur {SECTOR_MIN_COMPANIES} entreprises." in after.text
    )


async def test_a_page_just_served_is_served_again_for_a_moment_without_the_database(
    app: Litestar,
) -> None:
    company = await make_company(name="Scierie Vosges")
    path = f"/entreprises/{company.siren}-scierie-vosges"
    pages = app.state.rendered_pages
    pages.fresh_seconds = 60
    async with make_client(app) as visitor:
        await visitor.get(path)
        await Company.update(
            {
                Company.commune: "Épinal",
                Company.updated_at: datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
            }
        ).where(Company.id == company.id)
        soon = await visitor.get(path)
        pages.fresh_seconds = 0
        later = await visitor.get(path)
    assert "Épinal" not in soon.text, "served again without a query"
    assert "Épinal" in later.text, "checked again once the moment has passed"


async def test_a_signed_in_visitor_never_gets_the_page_served_to_anonymous_ones(
    app: Litestar,
) -> None:
    app.state.rendered_pages.fresh_seconds = 60
    await make_creditor(email="owner@example.com")
    async with make_client(app) as visitor, make_client(app) as creditor:
        anonymous = await visitor.get("/")
        await log_in(creditor, "owner@example.com")
        signed_in = await creditor.get("/")
        english = await visitor.get("/", headers={"accept-language": "en"})
    assert "Se connecter" in anonymous.text and "Mon espace" not in anonymous.text
    assert "Mon espace" in signed_in.text
    assert signed_in.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in english.text, "each language has its own copy"

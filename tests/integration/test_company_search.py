"""Company search, with the same cases on both engines (FTS5 on SQLite, tsvector on PG)."""

from __future__ import annotations

import pytest
from litestar import Litestar

from app.companies import search
from app.companies.rules import (
    Diffusion,
    SearchFilters,
    normalise_name,
    other_names_norm,
    parse_query,
)
from app.companies.search import index_search_words, search_companies
from app.companies.tables import Company
from tests.factories import make_company

SOCIETE_GENERALE = "552120222"


async def company(name: str, *, siren: str | None = None, **fields: object) -> Company:
    sigle = str(fields.pop("sigle", ""))
    usual = str(fields.pop("usual_names", ""))
    await index_search_words([normalise_name(name), other_names_norm(sigle, usual, "")])
    return await make_company(
        **({"siren": siren} if siren else {}),
        name=name,
        sigle=sigle,
        usual_names=usual,
        name_norm=normalise_name(name),
        sigle_norm=normalise_name(sigle),
        other_names_norm=other_names_norm(sigle, usual, ""),
        **fields,
    )


@pytest.fixture
async def registry(db: Litestar) -> None:
    """Société Générale among names that look like it."""
    await company("SOCIETE GENERALE DE TRANSPORTS", is_active=False, size_band="53")
    await company("GENERALE DE SOCIETES ET DE SERVICES", size_band="21")
    await company("SOCIETE GENERALE DES EAUX DE LA VALLEE", size_band="03")
    await company(
        "SOCIETE GENERALE",
        siren=SOCIETE_GENERALE,
        sigle="SG",
        size_band="53",
        departement="75",
        postcode="75009",
        naf_code="64.19Z",
    )
    await company("SG CONSEIL", departement="69", postcode="69002", naf_code="70.22Z")
    # A sole trader: the import keeps no name; were one stored, search must still not show it.
    await company("CLAIRE MARTIN", is_natural_person=True, commune="LYON")
    await company("SOCIETE GENERALE FANTOME", diffusion=Diffusion.PARTIAL)
    await company("MENUISERIE DUVAL", usual_names="ATELIER DU BOIS")


async def names(typed: str, **filters: object) -> list[str]:
    page = await search_companies(parse_query(typed), filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [hit.name for hit in page.hits]


@pytest.mark.parametrize(
    "typed",
    [
        "societe generale",
        "Société Génér",
        "SOCIETE GENERAL",
        "société  générale",
        "552 120 222",
        "FR27552120222",
        "55212022200013",
    ],
)
async def test_societe_generale_comes_first_however_it_is_typed(registry: None, typed: str) -> None:
    assert (await names(typed))[0] == "SOCIETE GENERALE"


async def test_every_word_must_match_the_last_as_a_prefix_and_ceased_ones_come_last(
    registry: None,
) -> None:
    assert await names("societe gen") == [  # "societes" is another word than "societe"
        "SOCIETE GENERALE",
        "SOCIETE GENERALE DES EAUX DE LA VALLEE",  # active, before the larger ceased one
        "SOCIETE GENERALE DE TRANSPORTS",
    ]
    assert await names("transports") == ["SOCIETE GENERALE DE TRANSPORTS"]
    assert await names("sg") == ["SOCIETE GENERALE", "SG CONSEIL"]  # the sigle counts too


async def test_names_that_begin_with_the_typed_words_come_first_then_the_shorter(
    db: Litestar,
) -> None:
    await company("MARTIN BOULANGERIE")  # the lowest SIREN: first were order left to it
    await company("BOULANGERIE MARTIN ET FILS")
    await company("BOULANGERIE MARTIN")
    assert await names("boulangerie mar") == [
        "BOULANGERIE MARTIN",
        "BOULANGERIE MARTIN ET FILS",
        "MARTIN BOULANGERIE",
    ]


async def test_a_short_prefix_after_a_word_ranks_but_does_not_narrow(db: Litestar) -> None:
    """A prefix of one or two letters would match most of the registry: it orders only."""
    await company("BOULANGERIE DUPONT")
    await company("BOULANGERIE MARTIN")
    assert await names("boulangerie m") == ["BOULANGERIE MARTIN", "BOULANGERIE DUPONT"]
    assert await names("boulangerie ma") == ["BOULANGERIE MARTIN", "BOULANGERIE DUPONT"]
    assert await names("boulangerie mar") == ["BOULANGERIE MARTIN"]


async def test_small_words_rank_but_do_not_narrow(db: Litestar) -> None:
    """ "de", "du", "la"... are in a third of all names: a company need not hold them."""
    await company("BOULANGERIE DU CENTRE")
    await company("BOULANGERIE CENTRE VILLE")
    await company("BOULANGERIE DE LA GARE")
    assert await names("boulangerie du centre") == [
        "BOULANGERIE DU CENTRE",
        "BOULANGERIE CENTRE VILLE",
    ]
    assert await names("boulangerie de la") == [
        "BOULANGERIE DE LA GARE",
        "BOULANGERIE DU CENTRE",
        "BOULANGERIE CENTRE VILLE",
    ]
    assert await names("du centre") == ["BOULANGERIE DU CENTRE", "BOULANGERIE CENTRE VILLE"]
    assert await names("de la") == ["BOULANGERIE DE LA GARE"], "small words alone must match"


async def test_past_the_most_results_active_matches_fill_the_ranking_before_ceased_ones(
    db: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MOST_RESULTS", 3)
    for n in range(4):
        await company(f"PLOMBERIE CESSEE {n}", is_active=False, size_band="53")
    for n in range(5):
        await company(f"PLOMBERIE ACTIVE {n}")
    await company("PLOMBERIE", is_active=False)  # the exact name, ceased: first all the same
    found = await names("plomberie")
    assert found[0] == "PLOMBERIE"
    assert len(found) == 1 + 3 + 1, "the exact name, then the most results and one to say more"
    assert all(name.startswith("PLOMBERIE ACTIVE") for name in found[1:])
    cessees = await names("plomberie cess")
    assert cessees == [f"PLOMBERIE CESSEE {n}" for n in range(4)], "ceased ones when no active"


async def test_a_sole_trader_or_a_masked_unit_is_never_found_by_name(registry: None) -> None:
    assert await names("fantome") == []
    assert await names("claire martin") == []
    sole_trader = await Company.select(Company.siren).where(Company.is_natural_person.eq(True))
    page = await search_companies(parse_query(sole_trader[0]["siren"]))
    assert [(hit.siren, hit.commune, hit.is_natural_person) for hit in page.hits] == [
        (sole_trader[0]["siren"], "LYON", True)
    ]


async def test_filters_narrow_the_results(registry: None) -> None:
    assert await names("s", departement="69") == []  # one letter is no search
    assert await names("sg", departement="69") == ["SG CONSEIL"]
    assert await names("sg", postcode="750") == ["SOCIETE GENERALE"]
    assert await names("sg", naf="70") == ["SG CONSEIL"]
    assert await names("societe generale", is_active=False) == ["SOCIETE GENERALE DE TRANSPORTS"]


async def test_results_come_a_page_at_a_time(registry: None) -> None:
    first = await search_companies(parse_query("societe gen"), per_page=2)
    second = await search_companies(parse_query("societe gen"), per_page=2, page=2)
    assert (len(first.hits), first.has_more, len(second.hits), second.has_more) == (
        2,
        True,
        1,
        False,
    )
    assert {hit.siren for hit in first.hits}.isdisjoint(hit.siren for hit in second.hits)


@pytest.mark.parametrize(
    "typed", ["", "a", '"*():^-', "x" * 1000, "\x00societe", "NEAR(societe)", "societe OR 1=1"]
)
async def test_any_text_gives_results_or_none_never_an_error(registry: None, typed: str) -> None:
    await search_companies(parse_query(typed))


@pytest.mark.parametrize(
    "typed",
    [
        "menuiserje",  # a letter replaced
        "menuisrie",  # a letter missing
        "menuisserie",  # a letter too many
        "meniuserie",  # two letters swapped
        "menuiserie duvla",
        "ateleir du bois",  # in a usual name
    ],
)
async def test_one_typo_in_a_word_still_finds_the_company(registry: None, typed: str) -> None:
    assert await names(typed) == ["MENUISERIE DUVAL"]


@pytest.mark.parametrize(
    "typed", ["socete generale", "societe generlae", "SOCIETE GENERALR", "sociéte génarale"]
)
async def test_a_typo_in_societe_generale_still_finds_it_first(registry: None, typed: str) -> None:
    assert (await names(typed))[0] == "SOCIETE GENERALE"


async def test_typos_are_looked_for_only_when_the_words_as_typed_find_nothing(
    registry: None,
) -> None:
    assert await names("duval") == ["MENUISERIE DUVAL"]
    await company("MENUISERIE DUVAK")  # one typo from DUVAL, and a company of its own
    assert await names("duvak") == ["MENUISERIE DUVAK"]  # found as typed: no typo guessed
    assert sorted(await names("menuiserie duvax")) == ["MENUISERIE DUVAK", "MENUISERIE DUVAL"]


async def test_two_typos_in_one_word_or_a_short_word_are_not_guessed(registry: None) -> None:
    assert await names("mneuisrie") == []
    assert await names("sgx") == []


@pytest.mark.parametrize("most", [32, 1])
async def test_a_prefix_finds_every_word_it_begins_looked_up_or_not(
    db: Litestar, monkeypatch: pytest.MonkeyPatch, most: int
) -> None:
    """A prefix that begins few words is searched as those words, else as a prefix."""
    monkeypatch.setattr(search, "COMPLETIONS_MAX", most)
    await company("BOULANGERIE NOUVELLE")
    await company("BOULE ET BILLE")
    await company("BOUL")
    await company("ABOULIA")
    assert await names("boul") == ["BOUL", "BOULE ET BILLE", "BOULANGERIE NOUVELLE"]
    assert await names("nouvelle boula") == ["BOULANGERIE NOUVELLE"]

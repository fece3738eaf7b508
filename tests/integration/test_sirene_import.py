"""The SIRENE import over small files in INSEE's exact layout, on both engines."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from app.clock import Clock
from app.companies import importers, sirene_sql
from app.companies.importers import (
    ESTABLISHMENT_COLUMNS,
    UNIT_COLUMNS,
    ImportKind,
    SireneFileError,
    import_file,
    registry_load,
)
from app.companies.rules import normalise_name, parse_query, vocabulary_words
from app.companies.search import index_search_words, search_companies
from app.companies.tables import Company, SearchWord, SireneImport, SireneLoad
from app.dev.sirene_files import (
    head_office_record,
    siren_for,
    stock_csv,
    unit_record,
    write_stock,
)
from app.settings import ROOT, Settings

SA, CEASED, MASKED, PERSON, OLD_NAF, QUOTED = (siren_for(n) for n in range(1, 7))


def units_file(tmp_path: Path, *, zipped: bool = False) -> Path:
    text = stock_csv(
        UNIT_COLUMNS,
        [
            unit_record(SA, denominationUniteLegale="SOCIETE GENERALE", sigleUniteLegale="SG"),
            unit_record(CEASED, etatAdministratifUniteLegale="C"),
            unit_record(
                MASKED,
                statutDiffusionUniteLegale="P",
                denominationUniteLegale="[ND]",
                sigleUniteLegale="[ND]",
                activitePrincipaleUniteLegale="[ND]",
            ),
            unit_record(
                PERSON,
                categorieJuridiqueUniteLegale="1000",
                denominationUniteLegale="",
                nomUniteLegale="MARTIN",
                prenom1UniteLegale="CLAIRE",
                prenomUsuelUniteLegale="CLAIRE",
                denominationUsuelle1UniteLegale="CLAIRE MARTIN COIFFURE",
                sigleUniteLegale="CMC",
                sexeUniteLegale="F",
            ),
            unit_record(
                OLD_NAF,
                activitePrincipaleUniteLegale="74.1A",
                nomenclatureActivitePrincipaleUniteLegale="NAFRev1",
            ),
            unit_record(QUOTED, denominationUniteLegale='DUPONT, FILS & "CIE"'),
            "123,O,,2001-01-01",  # line 8: too few fields
            stock_csv(UNIT_COLUMNS, [unit_record("12345678")]).splitlines()[1],  # line 9
            stock_csv(
                UNIT_COLUMNS, [unit_record(siren_for(7), statutDiffusionUniteLegale="N")]
            ).splitlines()[1],  # line 10: no such status since 2023
            stock_csv(
                UNIT_COLUMNS, [unit_record(siren_for(8), dateCreationUniteLegale="14/05")]
            ).splitlines()[1],  # line 11
        ],
    )
    return write_stock(
        tmp_path / ("StockUniteLegale_utf8.zip" if zipped else "units.csv"), text, zipped=zipped
    )


def establishments_file(tmp_path: Path) -> Path:
    text = stock_csv(
        ESTABLISHMENT_COLUMNS,
        [
            head_office_record(
                SA, enseigne1Etablissement="SG AGENCE", complementAdresseEtablissement="TOUR SG"
            ),
            head_office_record(
                SA, nic="00025", etablissementSiege="false", libelleCommuneEtablissement="PARIS"
            ),
            head_office_record(
                PERSON, libelleVoieEtablissement="DES LILAS", enseigne1Etablissement="CHEZ CLAIRE"
            ),
            head_office_record(
                MASKED,
                statutDiffusionEtablissement="P",
                libelleVoieEtablissement="[ND]",
                numeroVoieEtablissement="[ND]",
                codePostalEtablissement="20000",
                libelleCommuneEtablissement="AJACCIO",
                codeCommuneEtablissement="2A004",
            ),
            head_office_record(siren_for(99)),  # a unit the registry does not hold
            "bad,row",  # line 7
        ],
    )
    return write_stock(tmp_path / "establishments.csv", text)


async def companies() -> dict[str, dict[str, Any]]:
    """Every company's row by SIREN (without its id, which depends on the order of inserts)."""
    rows = await Company.select().order_by(Company.siren)
    return {row["siren"]: {k: v for k, v in row.items() if k != "id"} for row in rows}


async def test_units_are_stored_without_anything_masked_and_without_any_persons_name(
    db: Litestar, tmp_path: Path, app_clock: Clock
) -> None:
    report = await import_file(units_file(tmp_path), ImportKind.UNITS, clock=app_clock)

    assert (report.rows, report.written, report.bad_count) == (10, 6, 4)
    assert [(bad.line, bad.reason.split(" ")[0]) for bad in report.bad_rows] == [
        (8, "4"),
        (9, "SIREN"),
        (10, "diffusion"),
        (11, "date"),
    ]
    found = await companies()
    assert set(found) == {SA, CEASED, MASKED, PERSON, OLD_NAF, QUOTED}
    sa = found[SA]
    assert (sa["name"], sa["sigle"], sa["slug"], sa["naf_code"], sa["is_active"]) == (
        "SOCIETE GENERALE",
        "SG",
        "societe-generale",
        "62.01Z",
        True,
    )
    assert (sa["created_on"], sa["size_band"], sa["legal_category"]) == (
        date(2001, 5, 14),
        "12",
        "5710",
    )
    assert (sa["name_norm"], sa["sigle_norm"], sa["other_names_norm"]) == (
        "societe generale",
        "sg",
        "sg",
    )
    assert found[CEASED]["is_active"] is False
    masked = found[MASKED]
    assert (masked["name"], masked["sigle"], masked["naf_code"], masked["diffusion"]) == (
        "",
        "",
        "",
        "P",
    )
    person = found[PERSON]
    assert (person["name"], person["is_natural_person"], person["slug"]) == ("", True, "")
    assert (person["name_norm"], person["sigle_norm"], person["other_names_norm"]) == ("", "", "")
    assert (found[OLD_NAF]["naf_code"], found[OLD_NAF]["naf_nomenclature"]) == ("74.1A", "NAFRev1")
    assert found[QUOTED]["name"] == 'DUPONT, FILS & "CIE"'
    typo = await search_companies(parse_query("societe generael"))  # the vocabulary is filled
    assert [hit.siren for hit in typo.hits] == [SA]
    every_value = " ".join(str(value) for row in found.values() for value in row.values())
    for hidden in ("[ND]", "MARTIN", "CLAIRE"):
        assert hidden not in every_value


async def test_head_offices_give_the_address_and_a_person_or_masked_unit_keeps_its_commune(
    db: Litestar, tmp_path: Path, app_clock: Clock
) -> None:
    await import_file(units_file(tmp_path), ImportKind.UNITS, clock=app_clock)
    report = await import_file(
        establishments_file(tmp_path), ImportKind.ESTABLISHMENTS, clock=app_clock
    )

    assert (report.rows, report.written, report.skipped, report.bad_count) == (6, 3, 2, 1)
    assert report.bad_rows[0].line == 7
    found = await companies()
    sa = found[SA]
    assert sa["other_names_norm"] == "sg sg agence"  # the sigle, then the head office's sign
    assert (sa["address"], sa["postcode"], sa["commune"], sa["departement"], sa["signs"]) == (
        "TOUR SG, 12 RUE DE LA REPUBLIQUE",
        "69002",
        "LYON 2E ARRONDISSEMENT",
        "69",
        "SG AGENCE",
    )
    person = found[PERSON]
    assert (person["address"], person["commune"], person["signs"]) == (
        "",
        "LYON 2E ARRONDISSEMENT",
        "",
    )
    masked = found[MASKED]
    assert (masked["address"], masked["commune"], masked["departement"]) == ("", "AJACCIO", "2A")
    assert siren_for(99) not in found


async def test_signs_a_head_office_no_longer_has_are_no_longer_searched(
    db: Litestar, tmp_path: Path, clock: Clock, app_clock: Clock
) -> None:
    await import_file(units_file(tmp_path), ImportKind.UNITS, clock=clock)
    await import_file(establishments_file(tmp_path), ImportKind.ESTABLISHMENTS, clock=clock)
    assert (await companies())[SA]["other_names_norm"] == "sg sg agence"
    later = write_stock(
        tmp_path / "later.csv", stock_csv(ESTABLISHMENT_COLUMNS, [head_office_record(SA)])
    )

    await import_file(later, ImportKind.ESTABLISHMENTS, clock=app_clock)

    sa = (await companies())[SA]
    assert (sa["signs"], sa["other_names_norm"]) == ("", "sg")  # the sigle alone


async def test_a_zipped_file_imports_the_same_and_a_second_run_changes_nothing(
    db: Litestar, tmp_path: Path, app_clock: Clock, clock: Clock
) -> None:
    zipped = units_file(tmp_path, zipped=True)
    await import_file(zipped, ImportKind.UNITS, clock=clock)
    first = await companies()

    again = await import_file(zipped, ImportKind.UNITS, clock=app_clock)  # a later instant

    assert again.resumed_from == 0  # the first run had finished: this one reads it all
    assert await companies() == first  # updated_at included: no row was rewritten
    assert await SireneImport.count() == 2


async def test_batches_sharing_words_fill_the_whole_typo_vocabulary(
    db: Litestar, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words sent by an earlier batch are not sent again, whatever the cache remembers."""
    names = ["BOULANGERIE MARTIN", "BOULANGERIE DUPONT", "MARTIN TRANSPORTS", "FROMAGERIE DUPONT"]
    path = tmp_path / "StockUniteLegale.csv"
    write_stock(
        path,
        stock_csv(
            UNIT_COLUMNS,
            [
                unit_record(siren_for(100 + n), denominationUniteLegale=name)
                for n, name in enumerate(names)
            ],
        ),
    )
    monkeypatch.setattr(importers, "WORDS_REMEMBERED", 3)  # forgets once on the way
    await import_file(path, ImportKind.UNITS, clock=clock, batch_rows=1)

    rows = await SearchWord.select(SearchWord.word)
    expected = vocabulary_words(normalise_name(name) for name in names)
    assert sorted(row["word"] for row in rows) == sorted(expected)  # each word once


async def test_an_interrupted_run_carries_on_and_ends_with_the_same_registry(
    db: Litestar, tmp_path: Path, clock: Clock
) -> None:
    path = units_file(tmp_path)

    class Stop(Exception):
        pass

    def stop_after_the_first_batch(rows: int, position: int, size: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        await import_file(
            path, ImportKind.UNITS, clock=clock, batch_rows=3, progress=stop_after_the_first_batch
        )
    assert await Company.count() == 3  # the first batch of three rows was committed
    report = await import_file(path, ImportKind.UNITS, clock=clock, batch_rows=3)

    assert (report.resumed_from, report.rows, report.written) == (3, 10, 3)
    assert report.bad_count == 4  # counted once, across the two runs
    interrupted = await companies()
    await Company.delete(force=True)
    await SireneImport.delete(force=True)
    await import_file(path, ImportKind.UNITS, clock=clock)
    assert await companies() == interrupted


@pytest.mark.postgres_only
async def test_batches_land_in_the_order_of_the_file_whatever_their_speed(
    db: Litestar, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two connections share the batches: the last row of a SIREN wins all the same."""
    path = tmp_path / "StockUniteLegale.csv"
    names = ["PREMIERE RAISON", "DERNIERE RAISON"]
    write_stock(
        path, stock_csv(UNIT_COLUMNS, [unit_record(SA, denominationUniteLegale=n) for n in names])
    )
    stage = sirene_sql.PostgresBatches.stage

    async def slow_first_batch(self: sirene_sql.PostgresBatches, rows: Any) -> Any:
        staged = await stage(self, rows)
        if b"PREMIERE" in b"".join(rows):
            await asyncio.sleep(0.3)  # the next batch is staged meanwhile, on the other one
        return staged

    monkeypatch.setattr(sirene_sql.PostgresBatches, "stage", slow_first_batch)
    report = await import_file(path, ImportKind.UNITS, clock=clock, batch_rows=1)

    assert (await companies())[SA]["name"] == "DERNIERE RAISON"
    assert report.rows == 2
    assert (await SireneImport.select(SireneImport.rows_done).first()) == {"rows_done": 2}


async def search_indexes() -> dict[str, str]:
    """The definitions of the registry's and the vocabulary's indexes, by name."""
    rows = await Company.raw(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE tablename IN ('company', 'search_word') ORDER BY indexname"
    )
    return {row["indexname"]: row["indexdef"] for row in rows}


async def fillfactor() -> list[str] | None:
    rows = await Company.raw("SELECT reloptions FROM pg_class WHERE relname = 'company'")
    return rows[0]["reloptions"]


async def vocabulary() -> list[str]:
    return sorted(row["word"] for row in await SearchWord.select(SearchWord.word))


async def names_words() -> set[str]:
    """The vocabulary the registry's names call for."""
    rows = await Company.select(Company.name_norm, Company.other_names_norm)
    return vocabulary_words(f"{row['name_norm']} {row['other_names_norm']}" for row in rows)


@pytest.mark.postgres_only
async def test_a_first_load_sets_the_search_indexes_aside_and_builds_them_back(
    db: Litestar, tmp_path: Path, clock: Clock
) -> None:
    units, offices = units_file(tmp_path), establishments_file(tmp_path)
    await import_file(units, ImportKind.UNITS, clock=clock, batch_rows=2)
    await import_file(offices, ImportKind.ESTABLISHMENTS, clock=clock, batch_rows=2)
    batch_by_batch, indexes = await companies(), await search_indexes()
    await Company.delete(force=True)
    await SearchWord.delete(force=True)
    await SireneImport.delete(force=True)

    async with registry_load(clock) as load:
        assert load.first
        aside = await search_indexes()
        await import_file(units, ImportKind.UNITS, clock=clock, batch_rows=2, load=load)
        await import_file(offices, ImportKind.ESTABLISHMENTS, clock=clock, batch_rows=2, load=load)
        assert await SearchWord.count() == 0  # the vocabulary waits for the end
        assert await fillfactor() == ["fillfactor=50"]  # room for the head offices' versions

    assert set(aside) == {
        "company_pkey",
        "company_siren_key",
        "search_word_pkey",
        "search_word_word_uniq",
    }
    assert await search_indexes() == indexes
    assert await companies() == batch_by_batch
    assert await vocabulary() == sorted(await names_words())
    assert await fillfactor() is None  # new rows fill the pages again
    assert await SireneLoad.count().where(SireneLoad.finished_at.is_null()) == 0
    async with registry_load(clock) as load:
        assert not load.first  # the registry holds the files' companies now
        assert await search_indexes() == indexes


@pytest.mark.postgres_only
async def test_an_interrupted_first_load_is_finished_by_the_next_run(
    db: Litestar, tmp_path: Path, clock: Clock
) -> None:
    units, offices = units_file(tmp_path), establishments_file(tmp_path)

    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        async with registry_load(clock) as load:
            await import_file(units, ImportKind.UNITS, clock=clock, load=load)
            raise Stop
    assert await Company.count() == 6
    assert "company_search_gin" not in await search_indexes()  # still aside

    async with registry_load(clock) as load:
        assert load.first  # carried on, though the registry holds companies of the files
        await import_file(units, ImportKind.UNITS, clock=clock, load=load)
        await import_file(offices, ImportKind.ESTABLISHMENTS, clock=clock, load=load)

    assert "company_search_gin" in await search_indexes()
    assert await vocabulary() == sorted(await names_words())
    found = await search_companies(parse_query("societe generale"))
    assert [hit.siren for hit in found.hits] == [SA]


@pytest.mark.postgres_only
async def test_words_stored_while_a_first_load_runs_are_kept_once(
    db: Litestar, tmp_path: Path, clock: Clock
) -> None:
    async with registry_load(clock) as load:
        await import_file(units_file(tmp_path), ImportKind.UNITS, clock=clock, load=load)
        await index_search_words(["generale dupont"])  # written meanwhile, twice
        await index_search_words(["dupont"])

    assert await vocabulary() == sorted(await names_words() | {"dupont"})


async def test_a_file_of_the_wrong_kind_is_refused_before_anything_is_written(
    db: Litestar, tmp_path: Path, app_clock: Clock
) -> None:
    with pytest.raises(SireneFileError, match="not a StockUniteLegale file"):
        await import_file(establishments_file(tmp_path), ImportKind.UNITS, clock=app_clock)
    empty = write_stock(tmp_path / "empty.csv", "")
    with pytest.raises(SireneFileError, match="empty"):
        await import_file(empty, ImportKind.UNITS, clock=app_clock)
    assert await Company.count() == 0
    assert await SireneImport.count() == 0


async def test_the_command_imports_both_files_and_lists_the_bad_rows(
    db: Litestar, settings: Settings, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "ENVIRONMENT": "test",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "app.companies",
            "import-sirene",
            "--units",
            str(units_file(tmp_path)),
            "--establishments",
            str(establishments_file(tmp_path)),
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "units: 10 rows read, 6 written, 0 skipped, 4 bad" in done.stderr
    assert "line 8: 4 fields where the header has 34" in done.stderr
    assert "establishments: 6 rows read, 3 written, 2 skipped, 1 bad" in done.stderr
    assert "peak memory:" in done.stderr
    assert (await companies())[SA]["commune"] == "LYON 2E ARRONDISSEMENT"

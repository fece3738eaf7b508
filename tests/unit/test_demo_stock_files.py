"""The demo companies' stock files: deterministic, valid, in INSEE's exact layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from stdnum.fr import siren as stdnum_siren

from app.companies.importers import ESTABLISHMENT_COLUMNS, UNIT_COLUMNS
from app.companies.rules import MASKED, NATURAL_PERSON_CATEGORY, company_from_unit
from app.dev.demo_companies import (
    CEASED_SHARE,
    PARTIAL,
    SOLE_TRADER,
    Kind,
    demo_company,
    demo_siren,
    generate_stock,
)

COUNT = 2_000


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_stock(tmp_path_factory.mktemp("stock"), count=COUNT)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


def test_the_same_seed_writes_the_same_bytes(stock: tuple[Path, Path], tmp_path: Path) -> None:
    again = generate_stock(tmp_path / "again", count=COUNT)
    for first, second in zip(stock, again, strict=True):
        assert first.read_bytes() == second.read_bytes()


def test_another_seed_writes_other_companies(stock: tuple[Path, Path], tmp_path: Path) -> None:
    units, _ = generate_stock(tmp_path, count=COUNT, seed=7)
    names = [row["denominationUniteLegale"] for row in rows(units)]
    assert names != [row["denominationUniteLegale"] for row in rows(stock[0])]


def test_the_files_have_insees_exact_header(stock: tuple[Path, Path]) -> None:
    units, offices = stock
    assert units.read_text(encoding="utf-8").splitlines()[0] == ",".join(UNIT_COLUMNS)
    assert offices.read_text(encoding="utf-8").splitlines()[0] == ",".join(ESTABLISHMENT_COLUMNS)


def test_every_siren_is_valid_unique_and_has_its_head_office(stock: tuple[Path, Path]) -> None:
    units, offices = rows(stock[0]), rows(stock[1])
    sirens = [row["siren"] for row in units]
    assert len(sirens) == len(set(sirens)) == COUNT
    assert all(stdnum_siren.is_valid(siren) for siren in sirens)
    assert [row["siren"] for row in offices] == sirens
    for unit, office in zip(units, offices, strict=True):
        assert office["siret"] == unit["siren"] + unit["nicSiegeUniteLegale"]
        assert office["etablissementSiege"] == "true"


def test_the_sole_trader_is_a_natural_person_as_sirene_gives_one(
    stock: tuple[Path, Path],
) -> None:
    unit = next(row for row in rows(stock[0]) if row["siren"] == demo_siren(SOLE_TRADER))
    assert unit["categorieJuridiqueUniteLegale"] == NATURAL_PERSON_CATEGORY
    assert unit["denominationUniteLegale"] == ""
    assert unit["nomUniteLegale"] and unit["prenom1UniteLegale"]
    assert company_from_unit(unit).is_natural_person


def test_the_partial_unit_is_masked(stock: tuple[Path, Path]) -> None:
    siren = demo_siren(PARTIAL)
    unit = next(row for row in rows(stock[0]) if row["siren"] == siren)
    office = next(row for row in rows(stock[1]) if row["siren"] == siren)
    assert unit["statutDiffusionUniteLegale"] == "P"
    assert unit["denominationUniteLegale"] == MASKED
    assert office["statutDiffusionEtablissement"] == "P"
    assert office["libelleVoieEtablissement"] == MASKED


def test_the_companies_vary_like_a_registry(stock: tuple[Path, Path]) -> None:
    units, offices = rows(stock[0]), rows(stock[1])
    ceased = sum(row["etatAdministratifUniteLegale"] == "C" for row in units) / COUNT
    assert CEASED_SHARE * 0.6 < ceased < CEASED_SHARE * 1.4
    sole_traders = [row for row in units if row["categorieJuridiqueUniteLegale"] == "1000"]
    assert 0.04 < len(sole_traders) / COUNT < 0.12
    assert len({row["denominationUniteLegale"] for row in units}) > COUNT * 0.8
    assert len({row["activitePrincipaleUniteLegale"] for row in units}) >= 30
    assert len({row["categorieJuridiqueUniteLegale"] for row in units}) >= 6
    assert len({row["codePostalEtablissement"][:2] for row in offices}) >= 40
    assert any(row["sigleUniteLegale"] for row in units)
    assert any(row["enseigne1Etablissement"] for row in offices)
    for row in units:
        company_from_unit(row)  # every row is one the import accepts


def test_a_company_is_a_function_of_its_position_and_seed() -> None:
    assert demo_company(1234) == demo_company(1234)
    assert demo_company(1234).unit != demo_company(1234, seed=1).unit
    assert demo_company(SOLE_TRADER).kind is Kind.SOLE_TRADER
    assert demo_company(PARTIAL).profile is None

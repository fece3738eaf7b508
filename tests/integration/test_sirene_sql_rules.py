"""The SQL functions of the PostgreSQL import give what their Python twins in rules.py give.

Search compares a typed name, normalised in Python, with names the import normalised in SQL:
one letter folded differently and a company could not be found by its own name.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from app.clock import Clock
from app.companies import rules
from app.companies.importers import (
    ESTABLISHMENT_COLUMNS,
    UNIT_COLUMNS,
    UNIT_FIELDS,
    ImportKind,
    import_file,
    registry_load,
)
from app.companies.tables import Company, SearchWord
from app.dev.demo_companies import generate_stock
from app.dev.sirene_files import head_office_record, siren_for, stock_csv, unit_record, write_stock

pytestmark = pytest.mark.postgres_only

# Every code point but NUL (which PostgreSQL's text cannot hold) and the surrogates.
EVERY_CHARACTER = [
    chr(code) for code in range(1, sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF
]
# What names are made of, and what the rules treat specially, to build random names from.
ALPHABET = (
    "abcdeéèêëàâäîïôöùûüçœæßøłAÉÈÀÇŒÆØŁ0123456789 .,'’`-&()/\"*_\u00a0\u202f²ﬁǅŉＡ․＇ldjmnstqu"
)
ELISIONS = ["l'", "d’", "qu'", "jusqu`", "lorsqu'", "puisqu’", "L'", "D’"]


async def sql_results(function: str, values: list[str], *extra: str) -> list[Any]:
    """`function(value, *extra)` for each value, in one query, in order."""
    arguments = "".join(f", {argument}" for argument in extra)
    rows = await Company.raw(
        f"SELECT {function}(value{arguments}) AS result"  # noqa: S608 (fixed names)
        " FROM unnest({}::text[]) WITH ORDINALITY AS given (value, position)"
        " ORDER BY position",
        values,
    )
    return [row["result"] for row in rows]


def random_names(count: int, seed: int) -> list[str]:
    chance = random.Random(seed)
    names = []
    for _ in range(count):
        parts = []
        for _ in range(chance.randint(1, 6)):
            if chance.random() < 0.2:
                parts.append(chance.choice(ELISIONS))
            parts.append("".join(chance.choices(ALPHABET, k=chance.randint(1, 8))))
            if chance.random() < 0.2:
                parts.append(".".join(chance.choices("ABCsnc", k=chance.randint(2, 4))) + ".")
            parts.append(chance.choice([" ", "", ".", "-", "  "]))
        names.append("".join(parts))
    return names


async def test_every_character_folds_the_same(db: Litestar) -> None:
    folded = await sql_results("ponctuel_fold", EVERY_CHARACTER)
    differences = [
        (f"U+{ord(char):04X}", rules._ascii_lower(char), in_sql)
        for char, in_sql in zip(EVERY_CHARACTER, folded, strict=True)
        if rules._ascii_lower(char) != in_sql
    ]
    assert differences == []


async def test_every_character_inside_a_name_normalises_the_same(db: Litestar) -> None:
    names = [f"l{char}d'{char}a.{char}.b R.{char}S" for char in EVERY_CHARACTER[:0x3000]]
    normalised = await sql_results("ponctuel_normalise_name", names)
    assert [
        (name, rules.normalise_name(name), in_sql)
        for name, in_sql in zip(names, normalised, strict=True)
        if rules.normalise_name(name) != in_sql
    ] == []


async def test_random_names_normalise_and_slug_the_same(db: Litestar) -> None:
    names = random_names(3000, seed=7)
    normalised = await sql_results("ponctuel_normalise_name", names)
    slugs = await sql_results("ponctuel_slug", names)
    assert [
        name
        for name, in_sql in zip(names, normalised, strict=True)
        if rules.normalise_name(name) != in_sql
    ] == []
    assert [
        name
        for name, in_sql in zip(names, slugs, strict=True)
        if rules.company_slug(name) != in_sql
    ] == []


async def test_a_long_name_is_cut_to_the_same_slug(db: Litestar) -> None:
    names = ["A-" * 70, "É" * 130, "ab " * 45]
    assert await sql_results("ponctuel_slug", names) == [rules.company_slug(n) for n in names]


@pytest.mark.parametrize(
    "value", ["", " x ", "\tx\r\n", "[ND]", " [ND] ", "[nd]", "\u00a0x\u00a0", "\x0bx\x0c"]
)
async def test_a_field_is_trimmed_and_unmasked_the_same(db: Litestar, value: str) -> None:
    assert await sql_results("ponctuel_public", [value]) == [rules._public(value)]


@pytest.mark.parametrize(
    "parts",
    [
        ["B", "A", "B", ""],
        ["", "", "", ""],
        ["A", "A", "A", "A"],
        ["", "C", "", "C"],
        ["A", "B", "C", "D"],
        ["X" * 300, "Y" * 300, "X" * 300, "Z"],
    ],
)
async def test_values_are_joined_once_each_in_their_first_order(
    db: Litestar, parts: list[str]
) -> None:
    rows = await Company.raw("SELECT ponctuel_joined({}, {}, {}, {}, 500) AS joined", *parts)
    assert rows[0]["joined"] == rules._joined(parts, 500)


@pytest.mark.parametrize(
    ("commune", "postcode"),
    [
        ("75056", "75001"),
        ("", "75001"),
        ("2A004", "20000"),
        ("", "20000"),
        ("", "20200"),
        ("", "20100"),
        ("97411", "97400"),
        ("", "98800"),
        ("", "750"),
        ("", ""),
        ("123456", ""),
    ],
)
async def test_the_departement_is_the_same(db: Litestar, commune: str, postcode: str) -> None:
    rows = await Company.raw("SELECT ponctuel_departement({}, {}) AS found", commune, postcode)
    assert rows[0]["found"] == rules.departement_of(commune, postcode)


async def test_a_date_is_accepted_the_same(db: Litestar) -> None:
    days = [
        "2024-02-29",
        "2023-02-29",
        "2023-04-31",
        "2023-12-31",
        "2023-13-01",
        "2023-00-10",
        "2023-01-00",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "2023-1-01",
        "20230101",
        "2023-W01-1",
        "２０２３-01-01",
        "2023/01/01",
    ]
    # every month and day number around the calendar's, in a leap and a common year
    days += [
        f"{year}-{month:02}-{day:02}"
        for year in ("2024", "2023", "0000")
        for month in range(14)
        for day in range(33)
    ]
    accepted = await sql_results("ponctuel_is_day", days)

    def python_accepts(value: str) -> bool:
        try:
            rules._day(value)
        except rules.BadRecord:
            return False
        return True

    assert accepted == [python_accepts(day) for day in days]


def tricky_units() -> list[dict[str, str]]:
    """Units the generator does not make: masked and padded fields, long and accented names,
    duplicated usual names, a SIREN given twice (the last row wins)."""
    names = random_names(300, seed=11)
    units = [
        unit_record(
            siren_for(1000 + n),
            denominationUniteLegale=name[:300],
            sigleUniteLegale=name[:12] if n % 3 else "[ND]",
            denominationUsuelle1UniteLegale=name[-20:],
            denominationUsuelle2UniteLegale=name[-20:] if n % 2 else "",
            denominationUsuelle3UniteLegale=" " + name[:5] + " ",
            statutDiffusionUniteLegale="P" if n % 17 == 0 else "O",
            categorieJuridiqueUniteLegale="1000" if n % 13 == 0 else " 5710 ",
            etatAdministratifUniteLegale="C" if n % 5 == 0 else "A",
            dateCreationUniteLegale="2024-02-29T00:00" if n % 7 else "",
            activitePrincipaleUniteLegale="[ND]" if n % 11 == 0 else "74.1A",
        )
        for n, name in enumerate(names)
    ]
    units.append(unit_record(siren_for(1000), denominationUniteLegale="LE DERNIER MOT"))
    return units


def tricky_offices() -> list[dict[str, str]]:
    names = random_names(300, seed=12)
    return [
        head_office_record(
            siren_for(1000 + n),
            enseigne1Etablissement=name[:30],
            enseigne2Etablissement=name[:30] if n % 2 else "[ND]",
            denominationUsuelleEtablissement=name[-15:],
            complementAdresseEtablissement="" if n % 3 else "BAT " + name[:8],
            numeroVoieEtablissement="" if n % 4 == 0 else str(n),
            statutDiffusionEtablissement="P" if n % 19 == 0 else "O",
            codePostalEtablissement=["75001", "20000", "20200", "97400", ""][n % 5],
            codeCommuneEtablissement=["75056", "", "2B033", "", "98818"][n % 5],
        )
        for n, name in enumerate(names)
    ]


@pytest.mark.parametrize("first_load", [False, True], ids=["batch by batch", "first load"])
async def test_the_import_in_sql_stores_what_the_python_rules_give(
    db: Litestar, tmp_path: Path, clock: Clock, first_load: bool
) -> None:
    units_path, offices_path = generate_stock(tmp_path / "demo", count=400)
    with units_path.open(encoding="utf-8", newline="") as text:
        units = [*csv.DictReader(text), *tricky_units()]
    with offices_path.open(encoding="utf-8", newline="") as text:
        offices = [*csv.DictReader(text), *tricky_offices()]
    write_stock(tmp_path / "units.csv", stock_csv(UNIT_COLUMNS, units))
    write_stock(tmp_path / "offices.csv", stock_csv(ESTABLISHMENT_COLUMNS, offices))

    if first_load:  # the vocabulary built once the files are in, from the whole registry
        async with registry_load(clock) as load:
            assert load.first
            report = await import_file(
                tmp_path / "units.csv", ImportKind.UNITS, clock=clock, load=load
            )
            await import_file(
                tmp_path / "offices.csv", ImportKind.ESTABLISHMENTS, clock=clock, load=load
            )
    else:
        report = await import_file(tmp_path / "units.csv", ImportKind.UNITS, clock=clock)
        await import_file(tmp_path / "offices.csv", ImportKind.ESTABLISHMENTS, clock=clock)

    assert report.bad_count == 0
    expected: dict[str, dict[str, Any]] = {}
    for record in units:
        facts = rules.company_from_unit(record)
        expected[facts.siren] = {name: getattr(facts, name) for name in UNIT_FIELDS} | {
            "address": "",
            "postcode": "",
            "commune": "",
            "departement": "",
            "signs": "",
        }
    for record in offices:
        unit = expected.get(record["siren"])
        if unit is None or not rules.is_head_office(record):
            continue
        office = rules.head_office_from_establishment(
            record,
            commune_only=unit["is_natural_person"] or unit["diffusion"] == rules.Diffusion.PARTIAL,
        )
        assert office is not None
        unit.update(
            address=office.address,
            postcode=office.postcode,
            commune=office.commune,
            departement=office.departement,
            signs=office.signs,
            other_names_norm=rules.other_names_norm(
                unit["sigle"], unit["usual_names"], office.signs
            ),
        )
    stored = {
        row["siren"]: {name: row[name] for name in expected[row["siren"]]}
        for row in await Company.select()
    }
    assert len(stored) == len(expected) > 650
    differences = {
        siren: {
            name: (value, stored[siren][name])
            for name, value in fields.items()
            if value != stored[siren][name]
        }
        for siren, fields in expected.items()
        if fields != stored[siren]
    }
    assert differences == {}
    words = {row["word"] for row in await SearchWord.select()}
    assert words == rules.vocabulary_words(
        f"{fields['name_norm']} {fields['other_names_norm']}" for fields in expected.values()
    )

"""INSEE nomenclatures: the shipped NAF rév. 2 and legal category lists, and their lookups."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import app.companies
from app.companies.nomenclature import (
    division_label,
    legal_category_label,
    naf_division,
    naf_label,
    naf_section,
    naf_sections,
    section_divisions,
    section_label,
)

DATA = Path(app.companies.__file__).parent / "data"
SECTION = re.compile(r"[A-U]")
DIVISION = re.compile(r"\d{2}")
SUBCLASS = re.compile(r"\d{2}\.\d{2}[A-Z]")
LEGAL_CATEGORY = re.compile(r"\d{4}")
LEGAL_CATEGORY_COUNT = 260


def rows(filename: str) -> list[list[str]]:
    with (DATA / filename).open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == ["code", "label"]
        return list(reader)


NAF_ROWS = rows("naf_rev2.csv")
LEGAL_ROWS = rows("legal_categories.csv")
SECTIONS = [code for code, _ in NAF_ROWS if SECTION.fullmatch(code)]
DIVISIONS = [code for code, _ in NAF_ROWS if DIVISION.fullmatch(code)]
SUBCLASSES = [code for code, _ in NAF_ROWS if SUBCLASS.fullmatch(code)]


def test_the_data_files_are_well_formed() -> None:
    for table in (NAF_ROWS, LEGAL_ROWS):
        for row in table:
            assert len(row) == 2, row
            code, label = row
            assert label, code
            assert label == label.strip(), code
            assert "\n" not in label and "\u00a0" not in label, code


def test_every_naf_row_is_a_section_a_division_or_a_sous_classe() -> None:
    assert len(SECTIONS) + len(DIVISIONS) + len(SUBCLASSES) == len(NAF_ROWS)


def test_the_naf_list_is_complete() -> None:
    assert len(SECTIONS) == 21
    assert len(DIVISIONS) == 88
    assert len(SUBCLASSES) == 732
    assert "".join(SECTIONS) == "ABCDEFGHIJKLMNOPQRSTU"


def test_the_legal_category_list_is_complete() -> None:
    assert len(LEGAL_ROWS) == LEGAL_CATEGORY_COUNT
    assert all(LEGAL_CATEGORY.fullmatch(code) for code, _ in LEGAL_ROWS)


def test_codes_are_unique() -> None:
    naf_codes = [code for code, _ in NAF_ROWS]
    legal_codes = [code for code, _ in LEGAL_ROWS]
    assert len(set(naf_codes)) == len(naf_codes)
    assert len(set(legal_codes)) == len(legal_codes)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        (
            "01.11Z",
            "Culture de céréales (à l'exception du riz), de légumineuses"
            " et de graines oléagineuses",
        ),
        ("47.11F", "Hypermarchés"),
        ("56.10A", "Restauration traditionnelle"),
        ("62.01Z", "Programmation informatique"),
        ("64.19Z", "Autres intermédiations monétaires"),
        ("68.20A", "Location de logements"),
        ("99.00Z", "Activités des organisations et organismes extraterritoriaux"),
    ],
)
def test_sous_classe_labels_are_the_official_ones(code: str, label: str) -> None:
    assert naf_label(code) == label


def test_division_and_section_labels_are_the_official_ones() -> None:
    assert division_label("62") == "Programmation, conseil et autres activités informatiques"
    assert division_label("01") == "Culture et production animale, chasse et services annexes"
    assert section_label("J") == "Information et communication"
    assert section_label("A") == "Agriculture, sylviculture et pêche"
    assert section_label("U") == "Activités extra-territoriales"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("0000", "Organisme de placement collectif en valeurs mobilières sans personnalité morale"),
        ("1000", "Entrepreneur individuel"),
        ("5499", "Société à responsabilité limitée (sans autre indication)"),
        ("5710", "SAS, société par actions simplifiée"),
        ("6540", "Société civile immobilière"),
        ("7210", "Commune et commune nouvelle"),
        ("9220", "Association déclarée"),
    ],
)
def test_legal_category_labels_are_the_official_ones(code: str, label: str) -> None:
    assert legal_category_label(code) == label


def test_every_legal_category_of_the_file_is_found() -> None:
    for code, label in LEGAL_ROWS:
        assert legal_category_label(code) == label


@pytest.mark.parametrize("code", ["", "5498", "5720", "571", "57100", "abcd", "9999"])
def test_unknown_legal_categories_have_no_label(code: str) -> None:
    assert legal_category_label(code) == ""


def test_every_sous_classe_belongs_to_a_known_division_and_section() -> None:
    for code in SUBCLASSES:
        division = naf_division(code)
        assert division == code[:2]
        assert division in DIVISIONS
        assert division_label(division)
        assert naf_section(code) in SECTIONS
        assert section_label(naf_section(code))


def test_sous_classes_follow_their_section_in_the_file() -> None:
    section = ""
    for code, _ in NAF_ROWS:
        if SECTION.fullmatch(code):
            section = code
        else:
            assert naf_section(code) == section, code


@pytest.mark.parametrize("spelling", ["62.01Z", "6201Z", "62.01z", "6201z", " 62.01Z\n"])
def test_a_sous_classe_is_found_however_it_is_written(spelling: str) -> None:
    assert naf_label(spelling) == "Programmation informatique"
    assert naf_division(spelling) == "62"
    assert naf_section(spelling) == "J"


def test_every_sous_classe_is_found_without_its_dot_and_in_lowercase() -> None:
    for code, label in NAF_ROWS:
        if SUBCLASS.fullmatch(code):
            assert naf_label(code) == label
            assert naf_label(code.replace(".", "").lower()) == label


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "72.2A",  # NAF rév. 1
        "722A",  # NAF 1993
        "62.01",  # a class, not a sous-classe
        "6201",
        "62.0",
        "62.01ZZ",
        "62..01Z",
        "00.00Z",  # well formed, not in NAF rév. 2
        "62.09A",
        "J",
        "Programmation informatique",
    ],
)
def test_unknown_naf_codes_have_no_label_division_or_section(code: str) -> None:
    assert naf_label(code) == ""
    assert naf_division(code) == ""
    assert naf_section(code) == ""


def test_a_division_is_its_own_division() -> None:
    assert naf_division("62") == "62"
    assert naf_section("62") == "J"
    assert naf_section("01") == "A"
    assert naf_section("99") == "U"
    assert naf_division("04") == ""
    assert naf_section("04") == ""
    assert naf_label("62") == ""


def test_unknown_divisions_and_sections_have_no_label() -> None:
    for division in ("00", "04", "34", "40", "100", "6", "62.01Z", ""):
        assert division_label(division) == ""
    for letter in ("V", "Z", "AB", "", "62"):
        assert section_label(letter) == ""


def test_section_label_accepts_lowercase() -> None:
    assert section_label("j") == section_label("J") == "Information et communication"


def test_naf_sections_are_listed_from_a_to_u_with_their_labels() -> None:
    listed = naf_sections()
    assert [letter for letter, _ in listed] == SECTIONS
    assert listed[9] == ("J", "Information et communication")
    assert all(label == section_label(letter) for letter, label in listed)
    listed.clear()
    assert len(naf_sections()) == 21


def test_section_ranges_cover_exactly_the_88_divisions() -> None:
    covered: list[int] = []
    for letter, _ in naf_sections():
        first, last = section_divisions(letter)
        assert first <= last
        assert not covered or first > covered[-1]
        covered.extend(range(first, last + 1))
    assert covered == [int(division) for division in DIVISIONS]


def test_section_ranges_agree_with_naf_section() -> None:
    for division in DIVISIONS:
        first, last = section_divisions(naf_section(division))
        assert first <= int(division) <= last
    assert section_divisions("J") == (58, 63)
    assert section_divisions("c") == (10, 33)
    assert section_divisions("D") == (35, 35)


@pytest.mark.parametrize("letter", ["", "V", "62", "JJ"])
def test_section_divisions_rejects_unknown_sections(letter: str) -> None:
    with pytest.raises(ValueError, match="section"):
        section_divisions(letter)

"""INSEE nomenclatures: NAF rév. 2 activity codes and legal categories (catégories juridiques).

The lists live in ``app/companies/data/`` as UTF-8 CSV files (``code,label``) and are read once.
``naf_rev2.csv`` holds the 21 sections, 88 divisions and 732 sous-classes of NAF rév. 2 (2008);
``legal_categories.csv`` holds the niveau III legal categories (four-digit codes).

A company registered before 2008 may still carry a code of an older nomenclature (NAF rév. 1,
NAF 1993): such codes are not NAF rév. 2 codes, and every lookup below answers "" for them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_DATA_PACKAGE = "app.companies"
_NAF_FILE = "naf_rev2.csv"
_LEGAL_CATEGORIES_FILE = "legal_categories.csv"

# Sections of NAF rév. 2 and the first and last division numbers each one spans.
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 3),
    ("B", 5, 9),
    ("C", 10, 33),
    ("D", 35, 35),
    ("E", 36, 39),
    ("F", 41, 43),
    ("G", 45, 47),
    ("H", 49, 53),
    ("I", 55, 56),
    ("J", 58, 63),
    ("K", 64, 66),
    ("L", 68, 68),
    ("M", 69, 75),
    ("N", 77, 82),
    ("O", 84, 84),
    ("P", 85, 85),
    ("Q", 86, 88),
    ("R", 90, 93),
    ("S", 94, 96),
    ("T", 97, 98),
    ("U", 99, 99),
)

_SECTION_CODE = re.compile(r"[A-U]")
_DIVISION_CODE = re.compile(r"\d{2}")
# A sous-classe as INSEE writes it ("62.01Z") or as SIRENE files often carry it ("6201Z").
_SUBCLASS_CODE = re.compile(r"(\d{2})\.?(\d{2})([A-Z])")
_CANONICAL_SUBCLASS_CODE = re.compile(r"\d{2}\.\d{2}[A-Z]")


@dataclass(frozen=True, slots=True)
class _NafTables:
    sections: dict[str, str]
    divisions: dict[str, str]
    subclasses: dict[str, str]


def _read_rows(filename: str) -> list[tuple[str, str]]:
    """The (code, label) rows of a data file, header excluded."""
    text = files(_DATA_PACKAGE).joinpath("data", filename).read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    if header != ["code", "label"]:
        raise ValueError(f"{filename}: unexpected header {header!r}")
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for row in reader:
        if len(row) != 2 or not row[0] or not row[1]:
            raise ValueError(f"{filename}: malformed row {row!r}")
        code, label = row
        if code in seen:
            raise ValueError(f"{filename}: duplicate code {code!r}")
        seen.add(code)
        rows.append((code, label))
    return rows


@cache
def _naf() -> _NafTables:
    tables = _NafTables(sections={}, divisions={}, subclasses={})
    for code, label in _read_rows(_NAF_FILE):
        if _SECTION_CODE.fullmatch(code):
            tables.sections[code] = label
        elif _DIVISION_CODE.fullmatch(code):
            tables.divisions[code] = label
        elif _CANONICAL_SUBCLASS_CODE.fullmatch(code):
            tables.subclasses[code] = label
        else:
            raise ValueError(f"{_NAF_FILE}: not a NAF rév. 2 code {code!r}")
    return tables


@cache
def _legal_categories() -> dict[str, str]:
    return dict(_read_rows(_LEGAL_CATEGORIES_FILE))


def _subclass(code: str) -> str:
    """The canonical spelling ("62.01Z") of a known NAF rév. 2 sous-classe, or ""."""
    match = _SUBCLASS_CODE.fullmatch(code.strip().upper())
    if match is None:
        return ""
    canonical = f"{match[1]}.{match[2]}{match[3]}"
    return canonical if canonical in _naf().subclasses else ""


def naf_label(code: str) -> str:
    """Label of a NAF rév. 2 sous-classe ("62.01Z", "6201Z", "62.01z"); "" when unknown."""
    subclass = _subclass(code)
    return _naf().subclasses[subclass] if subclass else ""


def naf_division(code: str) -> str:
    """Division ("62") of a NAF rév. 2 sous-classe or division; "" if not a NAF rév. 2 code."""
    cleaned = code.strip()
    if cleaned in _naf().divisions:
        return cleaned
    subclass = _subclass(cleaned)
    return subclass[:2] if subclass else ""


def naf_section(code: str) -> str:
    """Section letter ("J") of a NAF rév. 2 sous-classe or division; "" if unknown."""
    division = naf_division(code)
    if not division:
        return ""
    number = int(division)
    for letter, first, last in _SECTION_RANGES:
        if first <= number <= last:
            return letter
    return ""


def division_label(division: str) -> str:
    """Label of a NAF rév. 2 division ("62"); "" when unknown."""
    return _naf().divisions.get(division.strip(), "")


def section_label(letter: str) -> str:
    """Label of a NAF rév. 2 section ("J" or "j"); "" when unknown."""
    return _naf().sections.get(letter.strip().upper(), "")


def naf_sections() -> list[tuple[str, str]]:
    """The 21 sections of NAF rév. 2 as (letter, label), from A to U."""
    sections = _naf().sections
    return [(letter, sections[letter]) for letter, _first, _last in _SECTION_RANGES]


def section_divisions(letter: str) -> tuple[int, int]:
    """First and last division numbers of a section ("J" -> (58, 63)), bounds included.

    Raises ValueError for a letter that is not a NAF rév. 2 section.
    """
    wanted = letter.strip().upper()
    for section, first, last in _SECTION_RANGES:
        if section == wanted:
            return first, last
    raise ValueError(f"not a NAF rév. 2 section: {letter!r}")


def legal_category_label(code: str) -> str:
    """Label of a niveau III legal category ("5710"); "" when unknown."""
    return _legal_categories().get(code.strip(), "")

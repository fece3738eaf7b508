"""Company search: one function, an index per engine (FTS5 on SQLite, GIN tsvector on PG).

Both index the normalised names the registry stores (`name_norm`, `other_names_norm`, see
rules.normalise_name), so no function runs on a candidate row. A name query matches every
word, the last one as a prefix (search as you type). Results come ranked: the exact name
first, then the exact sigle, active before ceased, then relevance, then size. Sole traders
and partly masked units are never found by name, only by their SIREN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.companies.rules import QueryKind, SearchQuery
from app.companies.tables import Company

PER_PAGE = 20


@dataclass(frozen=True)
class Filters:
    departement: str = ""
    postcode: str = ""  # a postcode, or its first digits
    naf: str = ""  # a NAF code, or its first characters (a division: "62")
    is_active: bool | None = None


@dataclass(frozen=True)
class Hit:
    siren: str
    name: str
    sigle: str
    commune: str
    departement: str
    naf_code: str
    is_active: bool
    slug: str
    is_natural_person: bool
    diffusion: str


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[Hit, ...]
    page: int
    has_more: bool


_COLUMNS = (
    "siren, name, sigle, commune, departement, naf_code, is_active, slug,"
    " is_natural_person, diffusion"
)
# "NN" (no employee count) and "" sort below every band of employees.
_SIZE = "CASE WHEN size_band IN ('', 'NN') THEN '' ELSE size_band END"


def _hit(row: dict[str, Any]) -> Hit:
    return Hit(
        siren=row["siren"],
        name=row["name"],
        sigle=row["sigle"],
        commune=row["commune"],
        departement=row["departement"],
        naf_code=row["naf_code"],
        is_active=bool(row["is_active"]),
        slug=row["slug"],
        is_natural_person=bool(row["is_natural_person"]),
        diffusion=row["diffusion"],
    )


def _filter_sql(filters: Filters, prefix: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    if filters.departement:
        clauses.append(f"{prefix}departement = {{}}")
        values.append(filters.departement)
    if filters.postcode:
        clauses.append(f"{prefix}postcode LIKE {{}}")
        values.append(filters.postcode + "%")
    if filters.naf:
        clauses.append(f"{prefix}naf_code LIKE {{}}")
        values.append(filters.naf + "%")
    if filters.is_active is not None:
        clauses.append(f"{prefix}is_active = {{}}")
        values.append(filters.is_active)
    return "".join(f" AND {clause}" for clause in clauses), values


async def search_companies(
    query: SearchQuery, *, filters: Filters = Filters(), page: int = 1, per_page: int = PER_PAGE
) -> SearchPage:
    """A page of the companies the query finds (one more is read to know if more follow)."""
    page = max(page, 1)
    if query.kind is QueryKind.EMPTY:
        return SearchPage(hits=(), page=page, has_more=False)
    if query.kind is QueryKind.SIREN:
        rows = await Company.raw(
            f"SELECT {_COLUMNS} FROM company WHERE siren = {{}}",  # noqa: S608 (value bound)
            query.siren,
        )
        return SearchPage(hits=tuple(_hit(row) for row in rows), page=1, has_more=False)
    offset = (page - 1) * per_page
    if isinstance(Company._meta.db, PostgresEngine):
        rows = await _postgres(query, filters, per_page + 1, offset)
    else:
        rows = await _sqlite(query, filters, per_page + 1, offset)
    hits = tuple(_hit(row) for row in rows[:per_page])
    return SearchPage(hits=hits, page=page, has_more=len(rows) > per_page)


async def _sqlite(
    query: SearchQuery, filters: Filters, limit: int, offset: int
) -> list[dict[str, Any]]:
    *whole, last = query.words
    match = " ".join([*(f'"{word}"' for word in whole), f'"{last}"*'])
    where, values = _filter_sql(filters, "c.")
    rows: list[dict[str, Any]] = await Company.raw(
        f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))}"  # noqa: S608
        " FROM company_search JOIN company AS c ON c.id = company_search.rowid"
        " WHERE company_search MATCH {} AND NOT c.is_natural_person AND c.diffusion = 'O'"
        f"{where}"
        " ORDER BY c.name_norm = {} DESC, c.sigle_norm = {} DESC, c.is_active DESC,"
        f" bm25(company_search, 10.0, 3.0), {_SIZE.replace('size_band', 'c.size_band')} DESC,"
        " c.siren LIMIT {} OFFSET {}",
        match,
        *values,
        " ".join(query.words),
        " ".join(query.words),
        limit,
        offset,
    )
    return rows


_DOCUMENT = "to_tsvector('simple', name_norm || ' ' || other_names_norm)"


async def _postgres(
    query: SearchQuery, filters: Filters, limit: int, offset: int
) -> list[dict[str, Any]]:
    *whole, last = query.words
    tsquery = " & ".join([*whole, f"{last}:*"])
    where, values = _filter_sql(filters, "")
    rows: list[dict[str, Any]] = await Company.raw(
        f"SELECT {_COLUMNS} FROM company"  # noqa: S608 (fixed SQL, values bound)
        f" WHERE {_DOCUMENT} @@ to_tsquery('simple', {{}})"
        " AND NOT is_natural_person AND diffusion = 'O'"
        f"{where}"
        " ORDER BY name_norm = {} DESC, sigle_norm = {} DESC, is_active DESC,"
        f" ts_rank({_DOCUMENT}, to_tsquery('simple', {{}})) DESC, {_SIZE} DESC, siren"
        " LIMIT {} OFFSET {}",
        tsquery,
        *values,
        " ".join(query.words),
        " ".join(query.words),
        tsquery,
        limit,
        offset,
    )
    return rows

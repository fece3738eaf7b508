"""Company search: one function, an index per engine (FTS5 on SQLite, GIN tsvector on PG).

Both index the normalised names the registry stores (`name_norm`, `other_names_norm`, see
rules.normalise_name), so no function runs on a candidate row. A name query matches every
word, the last one as a prefix (search as you type). Results come ranked: the exact name
first, then the exact sigle, active before ceased, then relevance, then size. Sole traders
and partly masked units are never found by name, only by their SIREN.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice, product
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.companies.nomenclature import section_divisions
from app.companies.rules import (
    NO_FILTERS,
    Diffusion,
    QueryKind,
    SearchFilters,
    SearchQuery,
    is_one_typo_apart,
    is_scored,
    one_deletion_variants,
    page_reference,
    search_word_rows,
    typo_variants,
)
from app.companies.tables import Company, SearchWord

PER_PAGE = 20


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

    @property
    def is_restricted(self) -> bool:
        """A sole trader or a partly masked unit: shown by SIREN and commune only."""
        return not is_scored(
            diffusion=Diffusion(self.diffusion), is_natural_person=self.is_natural_person
        )

    @property
    def reference(self) -> str:
        return page_reference(self.siren, self.slug, is_restricted=self.is_restricted)


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


def _filter_sql(filters: SearchFilters, prefix: str) -> tuple[str, list[Any]]:
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
    if filters.naf_section:
        first, last = section_divisions(filters.naf_section)
        clauses.append(f"substr({prefix}naf_code, 1, 2) BETWEEN {{}} AND {{}}")
        values.extend([f"{first:02d}", f"{last:02d}"])
        clauses.append(f"{prefix}naf_nomenclature = 'NAFRev2'")
    if filters.is_active is not None:
        clauses.append(f"{prefix}is_active = {{}}")
        values.append(filters.is_active)
    return "".join(f" AND {clause}" for clause in clauses), values


async def search_companies(
    query: SearchQuery,
    *,
    filters: SearchFilters = NO_FILTERS,
    page: int = 1,
    per_page: int = PER_PAGE,
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
    typed: Terms = [[(word, False)] for word in query.words]
    typed[-1] = [(query.words[-1], True)]  # the word being typed: a prefix
    rows = await _matching(typed, filters, per_page + 1, offset)
    if not rows and (page == 1 or not await _matching(typed, filters, 1, 0)):
        # The words as typed find nothing: try the words they may be one typo away from.
        meant = await _with_typos(typed)
        if meant != typed:
            rows = await _matching(meant, filters, per_page + 1, offset)
    hits = tuple(_hit(row) for row in rows[:per_page])
    return SearchPage(hits=hits, page=page, has_more=len(rows) > per_page)


# Each query word, as the alternatives it may match: (word, is a prefix).
Terms = list[list[tuple[str, bool]]]


async def _matching(
    terms: Terms, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    if isinstance(Company._meta.db, PostgresEngine):
        return await _postgres(terms, filters, limit, offset)
    return await _sqlite(terms, filters, limit, offset)


async def _with_typos(terms: Terms) -> Terms:
    """Each typed word with the registry's words one typo away from it."""
    typed = {word for alternatives in terms for word, _ in alternatives if typo_variants(word)}
    if not typed:
        return terms
    variants = set().union(*(one_deletion_variants(word) for word in typed))
    rows = await SearchWord.select(SearchWord.word).where(SearchWord.variant.is_in(list(variants)))
    known = {row["word"] for row in rows}
    return [
        alternatives
        + [
            (word, False)
            for word in sorted(known)
            for typed_word, _ in alternatives
            if typed_word != word
            and typo_variants(typed_word)
            and is_one_typo_apart(typed_word, word)
        ]
        for alternatives in terms
    ]


PHRASES_MAX = 32


def _phrases(terms: Terms) -> list[str]:
    """The names the words may spell out, for the exact-name rank (the typed one first)."""
    words = [[word for word, _ in alternatives] for alternatives in terms]
    return [" ".join(phrase) for phrase in islice(product(*words), PHRASES_MAX)]


async def index_search_words(names: Iterable[str]) -> None:
    """Add the words of these (normalised) names to the vocabulary of typo tolerance."""
    rows = search_word_rows(names)
    if rows:
        await SearchWord.insert(
            *(SearchWord(variant=variant, word=word) for variant, word in sorted(rows))
        ).on_conflict(target=(SearchWord.variant, SearchWord.word), action="DO NOTHING")


async def _sqlite(
    terms: Terms, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    match = " AND ".join(
        "(" + " OR ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in options) + ")"
        for options in terms
    )
    where, values = _filter_sql(filters, "c.")
    phrases = _phrases(terms)
    marks = ", ".join("{}" for _ in phrases)
    rows: list[dict[str, Any]] = await Company.raw(
        f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))}"  # noqa: S608
        " FROM company_search JOIN company AS c ON c.id = company_search.rowid"
        " WHERE company_search MATCH {} AND NOT c.is_natural_person AND c.diffusion = 'O'"
        f"{where}"
        f" ORDER BY c.name_norm IN ({marks}) DESC, c.sigle_norm IN ({marks}) DESC,"
        " c.is_active DESC,"
        f" bm25(company_search, 10.0, 3.0), {_SIZE.replace('size_band', 'c.size_band')} DESC,"
        " c.siren LIMIT {} OFFSET {}",
        match,
        *values,
        *phrases,
        *phrases,
        limit,
        offset,
    )
    return rows


_DOCUMENT = "to_tsvector('simple', name_norm || ' ' || other_names_norm)"


async def _postgres(
    terms: Terms, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    tsquery = " & ".join(
        "(" + " | ".join(word + (":*" if prefix else "") for word, prefix in options) + ")"
        for options in terms
    )
    where, values = _filter_sql(filters, "")
    phrases = _phrases(terms)
    marks = ", ".join("{}" for _ in phrases)
    rows: list[dict[str, Any]] = await Company.raw(
        f"SELECT {_COLUMNS} FROM company"  # noqa: S608 (fixed SQL, values bound)
        f" WHERE {_DOCUMENT} @@ to_tsquery('simple', {{}})"
        " AND NOT is_natural_person AND diffusion = 'O'"
        f"{where}"
        f" ORDER BY name_norm IN ({marks}) DESC, sigle_norm IN ({marks}) DESC, is_active DESC,"
        f" ts_rank({_DOCUMENT}, to_tsquery('simple', {{}})) DESC, {_SIZE} DESC, siren"
        " LIMIT {} OFFSET {}",
        tsquery,
        *values,
        *phrases,
        *phrases,
        tsquery,
        limit,
        offset,
    )
    return rows

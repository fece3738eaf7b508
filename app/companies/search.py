"""Company search: one function, an index per engine (FTS5 on SQLite, GIN tsvector on PG).

Both index the normalised names the registry stores (`name_norm`, `other_names_norm`, see
rules.normalise_name), so no function runs on a candidate row. A name query matches every
word, the last one as a prefix (search as you type); a last word of fewer than three letters,
and the small words of RANK_ONLY_WORDS ("de", "du", "la"...), only rank.
Results come ranked the same way on both engines: the exact name first, then the exact sigle,
active before ceased, then relevance (the name begins with the words typed, then the shorter
name), then size. At most MOST_RESULTS matches are ranked, so a common word costs no more
than a rare one. Sole traders and partly masked units are never found by name, only by their
SIREN.
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
    is_typo_word,
    one_typo_away,
    page_reference,
    vocabulary_words,
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
        found = await Company.raw(
            f"SELECT {_COLUMNS} FROM company WHERE siren = {{}}",  # noqa: S608 (value bound)
            query.siren,
        )
        return SearchPage(hits=tuple(_hit(row) for row in found), page=1, has_more=False)
    offset = (page - 1) * per_page
    text = " ".join(query.words)  # names that begin with it rank first among equals
    vocabulary = await _Vocabulary.around(query.words)
    typed: Terms = [[(word, False)] for word in query.words]
    typed[-1] = vocabulary.completions(query.words[-1])  # the word being typed: a prefix
    may_match = vocabulary.may_match(_required(typed))
    rows: list[dict[str, Any]] = []
    if may_match:
        rows = await _matching(typed, text, filters, per_page + 1, offset)
    if not rows and (page == 1 or not may_match or not await _matching(typed, text, filters, 1, 0)):
        # The words as typed find nothing: try the words they may be one typo away from.
        meant = vocabulary.with_typos(typed)
        if meant != typed:
            rows = await _matching(meant, text, filters, per_page + 1, offset)
    hits = tuple(_hit(row) for row in rows[:per_page])
    return SearchPage(hits=hits, page=page, has_more=len(rows) > per_page)


# Each query word, as the alternatives it may match: (word, is a prefix).
Terms = list[list[tuple[str, bool]]]


# A word being typed shorter than this, or one of these words, would match a large part of the
# registry (a third of all names hold "de" or "du"): after other words, it only ranks.
SHORTEST_PREFIX = 3
RANK_ONLY_WORDS = frozenset({"a", "au", "aux", "de", "des", "du", "en", "et", "la", "le", "les"})


def _required(terms: Terms) -> Terms:
    """The words a company must match: all but those that only rank, unless all of them do."""
    last = len(terms) - 1
    kept = [
        alternatives
        for position, alternatives in enumerate(terms)
        if not _ranks_only(*alternatives[0], is_last=position == last)
    ]
    return kept or terms


def _ranks_only(word: str, is_prefix: bool, *, is_last: bool) -> bool:
    return word in RANK_ONLY_WORDS or (is_last and is_prefix and len(word) < SHORTEST_PREFIX)


async def _matching(
    terms: Terms, text: str, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    if isinstance(Company._meta.db, PostgresEngine):
        return await _postgres(terms, text, filters, limit, offset)
    return await _sqlite(terms, text, filters, limit, offset)


# A word being typed that begins more registry words than this stays a prefix of the full-text
# query; fewer are looked for as the words themselves, which PostgreSQL's GIN index matches
# without first gathering every row of every word the prefix begins (30 ms for "ouest").
COMPLETIONS_MAX = 32
_COMPLETIONS_SQL = (
    "SELECT word FROM search_word WHERE word >= {} AND word < {}"  # noqa: S608
    f" ORDER BY word LIMIT {COMPLETIONS_MAX + 1}"
)
# The words one typo away from a query's are looked up this many at a time (a 30-letter word
# has about 2,000, and a query of 200 characters may have ten thousand).
NEIGHBOURS_PER_LOOKUP = 5_000


@dataclass(frozen=True)
class _Vocabulary:
    """What the typo vocabulary (search_word) knows of a query's words, read once a search."""

    neighbours: frozenset[str]  # registry words equal to, or one typo away from, a typed word
    completed: tuple[str, ...] | None  # registry words the last word begins; None: too many

    @classmethod
    async def around(cls, words: tuple[str, ...]) -> _Vocabulary:
        candidates = sorted(set().union(*(one_typo_away(w) for w in words if is_typo_word(w))))
        neighbours: set[str] = set()
        for start in range(0, len(candidates), NEIGHBOURS_PER_LOOKUP):
            rows = await SearchWord.select(SearchWord.word).where(
                SearchWord.word.is_in(candidates[start : start + NEIGHBOURS_PER_LOOKUP])
            )
            neighbours.update(row["word"] for row in rows)
        prefix = words[-1]
        completed: tuple[str, ...] | None = None
        if len(prefix) >= SHORTEST_PREFIX:
            # Names are lower-case ASCII, so "\x7f" is above every letter that may follow the
            # prefix: a range of the vocabulary's unique index.
            rows = await SearchWord.raw(
                _COMPLETIONS_SQL,
                prefix,
                prefix + "\x7f",
            )
            found = sorted({row["word"] for row in rows} - {prefix})
            completed = tuple(found) if len(found) < COMPLETIONS_MAX else None
        return cls(neighbours=frozenset(neighbours), completed=completed)

    def completions(self, prefix: str) -> list[tuple[str, bool]]:
        """The word being typed as a prefix, or as the words it begins when they are few: itself
        and the vocabulary's longer words (which holds every word of four to 30 letters)."""
        if self.completed is None:
            return [(prefix, True)]
        return [(prefix, False), *((word, False) for word in self.completed)]

    def may_match(self, required: Terms) -> bool:
        """False when a word that must match is one the vocabulary would hold, and does not:
        no name has it, and the full-text query need not run."""
        known = self.neighbours.union(self.completed or ())
        return all(
            any(
                is_prefix or not is_typo_word(word) or word in known
                for word, is_prefix in alternatives
            )
            for alternatives in required
        )

    def with_typos(self, terms: Terms) -> Terms:
        """Each typed word with the registry's words one typo away from it."""
        return [
            alternatives
            + [
                (word, False)
                for word in sorted(self.neighbours)
                for typed_word, _ in alternatives[:1]
                if typed_word != word
                and is_typo_word(typed_word)
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
    words = vocabulary_words(names)
    if words:
        await SearchWord.insert(*(SearchWord(word=word) for word in sorted(words))).on_conflict(
            target=SearchWord.word, action="DO NOTHING"
        )


# Results stop at this many (50 pages): a query that matches more ranks this many of its
# active matches (ceased ones only to make up the number), plus the companies whose exact name
# or sigle was typed. Ranking every match would cost time in proportion to them (tens of
# thousands for a common word at a million companies) for pages nobody reads.
MOST_RESULTS = 1_000

_PUBLIC = "NOT c.is_natural_person AND c.diffusion = 'O'"
# What each candidate carries: the columns of a hit, and those the ranking reads.
_FOUND = ", ".join(f"c.{column.strip()}" for column in _COLUMNS.split(",")) + (
    ", c.name_norm, c.sigle_norm, c.size_band"
)


def _ranked(
    match: str,
    match_value: str,
    terms: Terms,
    text: str,
    filters: SearchFilters,
    limit: int,
    offset: int,
) -> tuple[str, list[Any]]:
    """The SQL and values of a page of ranked matches, on either engine.

    `match` is the engine's full-text condition on the company aliased `c` ({} for its query
    `match_value`). Ranked: the exact name, the exact sigle, active before ceased, then
    relevance (the name begins with the `text` typed, then the shorter name: the typed words
    make up more of it), then size, then SIREN for a stable order.
    """
    where, filter_values = _filter_sql(filters, "c.")
    phrases = _phrases(terms)
    marks = ", ".join("{}" for _ in phrases)
    chosen = f"AND {_PUBLIC}{where}"
    sql = (
        f"WITH active AS MATERIALIZED (SELECT {_FOUND} FROM {match} AND c.is_active {chosen}"  # noqa: S608
        f" LIMIT {MOST_RESULTS + 1}),"
        f" ceased AS (SELECT {_FOUND} FROM {match} AND NOT c.is_active {chosen}"
        f" LIMIT (SELECT {MOST_RESULTS + 1} - count(*) FROM active)),"
        f" exact AS (SELECT {_FOUND} FROM company AS c"
        f" WHERE (c.name_norm IN ({marks}) OR c.sigle_norm IN ({marks})) {chosen})"
        f" SELECT {_COLUMNS} FROM"
        " (SELECT * FROM active UNION SELECT * FROM ceased UNION SELECT * FROM exact) AS found"
        f" ORDER BY name_norm IN ({marks}) DESC, sigle_norm IN ({marks}) DESC, is_active DESC,"
        " substr(name_norm, 1, {}) = {} DESC, length(name_norm),"
        f" {_SIZE} DESC, siren LIMIT {{}} OFFSET {{}}"
    )
    values = [
        *[match_value, *filter_values],
        *[match_value, *filter_values],
        *[*phrases, *phrases, *filter_values],
        *[*phrases, *phrases],
        *[len(text), text, limit, offset],
    ]
    return sql, values


async def _sqlite(
    terms: Terms, text: str, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    match = " AND ".join(
        "(" + " OR ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in options) + ")"
        for options in _required(terms)
    )
    sql, values = _ranked(
        "company_search JOIN company AS c ON c.id = company_search.rowid"
        " WHERE company_search MATCH {}",
        match,
        terms,
        text,
        filters,
        limit,
        offset,
    )
    rows: list[dict[str, Any]] = await Company.raw(sql, *values)
    return rows


async def _postgres(
    terms: Terms, text: str, filters: SearchFilters, limit: int, offset: int
) -> list[dict[str, Any]]:
    tsquery = " & ".join(
        "(" + " | ".join(word + (":*" if prefix else "") for word, prefix in options) + ")"
        for options in _required(terms)
    )
    # The expression of the name index (company_search_gin), so that the index answers.
    document = "to_tsvector('simple', c.name_norm || ' ' || c.other_names_norm)"
    sql, values = _ranked(
        f"company AS c WHERE {document} @@ to_tsquery('simple', {{}})",
        tsquery,
        terms,
        text,
        filters,
        limit,
        offset,
    )
    rows: list[dict[str, Any]] = await Company.raw(sql, *values)
    return rows

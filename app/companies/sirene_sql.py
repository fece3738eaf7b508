"""The SIRENE import on PostgreSQL: rows COPY'd in as they are, the rules applied in SQL.

Applying the rules of rules.py to each row in Python cost about 80 µs a row. Here Python only
checks that each line is a CSV row of the header's width (a line without quotes is sent as it
is, a quoted one through the csv module) and COPYs the batch, with each row's line number,
into a scratch table of text columns. One statement then applies the rules to the whole batch
through the SQL functions of migration 2026-12-03T15:00 (each the twin of a Python rule, held
equal by tests/integration/test_sirene_sql_rules.py), and the rows come out as on SQLite.
A row the rules refuse is reported with the same words as rules.py gives.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import partial
from typing import Any

from app.companies import rules
from app.companies.rules import CompanySource

# What one record of the file becomes: its CSV row for COPY, a bad row, or None for an
# establishment that is not a head office.
Record = bytes | rules.BadRow | None

BLANKS = "E' \\t\\n\\r\\x0b\\x0c'"  # rules.FIELD_BLANKS, as a SQL literal


@dataclass(frozen=True)
class Layout:
    """Where the columns the import reads are, in the file's header."""

    header: tuple[str, ...]

    def column(self, name: str) -> str:
        """The scratch table's column holding the file's column `name`."""
        return f"s.c{self.header.index(name)}"


def copy_records(
    lines: Iterator[bytes], layout: Layout, *, head_offices_only: bool
) -> Iterator[tuple[int, Record]]:
    """(line number, record) for each data row after the header (line 1).

    A row spread over several lines (a quoted field holding a line break) is numbered by its
    last line, as the csv module numbers it.
    """
    width = len(layout.header)
    siege = layout.header.index("etablissementSiege") if head_offices_only else -1
    line_number = 1
    for raw in lines:
        line_number += 1
        body = raw.rstrip(b"\n")
        body = body[:-1] if body.endswith(b"\r") else body
        if b'"' in body or b"\x00" in body or b"\r" in body:
            # Quotes, or what the csv module refuses: it reads the record, over more lines
            # when a quoted field holds a line break.
            reader, read = _reader_from(raw, lines)
            try:
                fields = next(reader)
            except (csv.Error, UnicodeDecodeError) as error:
                line_number += read() - 1
                yield line_number, rules.BadRow(line_number, f"unreadable row: {error}")
                continue
            except StopIteration:
                fields = []
            line_number += read() - 1
            if len(fields) != width:
                yield line_number, _wrong_width(line_number, len(fields), width)
            elif siege >= 0 and fields[siege].strip(rules.FIELD_BLANKS).lower() != "true":
                yield line_number, None
            else:
                yield line_number, _csv_row(line_number, fields)
            continue
        if not body.isascii():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                yield line_number, rules.BadRow(line_number, f"unreadable row: {error}")
                continue
        count = body.count(b",") + 1 if body else 0
        if count != width:
            yield line_number, _wrong_width(line_number, count, width)
        elif siege >= 0 and body.split(b",", siege + 1)[siege].strip().lower() != b"true":
            yield line_number, None
        else:
            yield line_number, b"%d,%s\n" % (line_number, body)


def _wrong_width(line_number: int, count: int, width: int) -> rules.BadRow:
    return rules.BadRow(line_number, f"{count} fields where the header has {width}")


def _reader_from(
    first: bytes, rest: Iterator[bytes]
) -> tuple[Iterator[list[str]], Callable[[], int]]:
    """A csv reader of one record starting at line `first`, taking more lines only as needed,
    and a function giving how many lines it read."""
    taken = 0

    def lines() -> Iterator[str]:
        nonlocal taken
        taken += 1
        yield first.decode("utf-8")
        for raw in rest:
            taken += 1
            yield raw.decode("utf-8")

    return csv.reader(lines()), lambda: taken


def _csv_row(line_number: int, fields: Sequence[str]) -> bytes:
    out = io.StringIO()
    # Every field quoted: a line break or a carriage return inside one stays data for COPY.
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow([line_number, *fields])
    return out.getvalue().encode("utf-8")


# --- the batch's statements --------------------------------------------------------------------


def _stage_columns(layout: Layout) -> list[str]:
    return ["line", *(f"c{n}" for n in range(len(layout.header)))]


def _public(layout: Layout, name: str, longest: int | None = None) -> str:
    value = f"ponctuel_public({layout.column(name)})"
    return f"left({value}, {longest})" if longest else value


def _trimmed(layout: Layout, name: str) -> str:
    return f"btrim(coalesce({layout.column(name)}, ''), {BLANKS})"


def unit_rows_sql(layout: Layout) -> str:
    """The units of the scratch table with rules.company_from_unit's fields, or the reason a
    row is refused (`problem`, the faulty `value`)."""
    public = partial(_public, layout)
    return f"""
    CREATE TEMP TABLE sirene_unit_rows ON COMMIT DROP AS
    WITH fields AS (
      SELECT s.line,
        {_trimmed(layout, "siren")} AS siren,
        {_trimmed(layout, "statutDiffusionUniteLegale")} AS diffusion,
        {_trimmed(layout, "etatAdministratifUniteLegale")} AS state,
        {public("categorieJuridiqueUniteLegale")} AS category,
        {public("dateCreationUniteLegale")} AS created,
        {public("denominationUniteLegale", 250)} AS denomination,
        {public("sigleUniteLegale", 50)} AS sigle_given,
        {public("denominationUsuelle1UniteLegale")} AS usual_1,
        {public("denominationUsuelle2UniteLegale")} AS usual_2,
        {public("denominationUsuelle3UniteLegale")} AS usual_3,
        {public("activitePrincipaleUniteLegale", 8)} AS naf,
        {public("nomenclatureActivitePrincipaleUniteLegale", 8)} AS nomenclature,
        {public("trancheEffectifsUniteLegale", 2)} AS size_band
      FROM sirene_stage AS s OFFSET 0
    ), checked AS (
      SELECT *,
        CASE
          WHEN siren !~ '^[0-9]{{9}}$' THEN 'siren'
          WHEN diffusion NOT IN ('O', 'P') THEN 'diffusion'
          WHEN state NOT IN ('A', 'C') THEN 'state'
          WHEN diffusion = 'O' AND created <> '' AND NOT ponctuel_is_day(left(created, 10))
            THEN 'day'
        END AS problem,
        diffusion = 'O' AND category <> '{rules.NATURAL_PERSON_CATEGORY}' AS shows_names
      FROM fields
    ), named AS (
      SELECT line, siren, problem, state, diffusion, category, created, naf, nomenclature,
        size_band,
        CASE WHEN shows_names THEN denomination ELSE '' END AS name,
        CASE WHEN shows_names THEN sigle_given ELSE '' END AS sigle,
        CASE WHEN shows_names THEN ponctuel_joined(usual_1, usual_2, usual_3, '', 500) ELSE ''
          END AS usual_names
      FROM checked OFFSET 0
    )
    -- OFFSET 0: the normalised name is computed once, for itself and for the slug
    SELECT *, ponctuel_slug(name, name_norm) AS slug FROM (SELECT line, siren, problem,
      CASE problem WHEN 'siren' THEN siren WHEN 'diffusion' THEN diffusion
        WHEN 'state' THEN state WHEN 'day' THEN created END AS value,
      name, sigle, usual_names,
      left(category, 4) AS legal_category,
      CASE WHEN diffusion = 'O' THEN naf ELSE '' END AS naf_code,
      CASE WHEN diffusion = 'O' THEN nomenclature ELSE '' END AS naf_nomenclature,
      CASE WHEN problem IS NULL AND diffusion = 'O' AND created <> ''
        THEN left(created, 10)::date END AS created_on,
      CASE WHEN diffusion = 'O' THEN size_band ELSE '' END AS size_band,
      state = 'A' AS is_active,
      diffusion,
      category = '{rules.NATURAL_PERSON_CATEGORY}' AS is_natural_person,
      ponctuel_normalise_name(name) AS name_norm,
      ponctuel_normalise_name(sigle) AS sigle_norm,
      left(ponctuel_normalise_name(sigle || ' ' || usual_names || ' '),
           {rules.OTHER_NAMES_NORM_MAX}) AS other_names_norm
    FROM named OFFSET 0) AS unit
    """  # noqa: S608 (column names from the checked header)


UNIT_FIELDS = tuple(field.name for field in fields(rules.CompanyFacts))


def upsert_units_sql() -> str:
    """The batch's valid units into the registry (the last row of a SIREN wins); a company
    whose data did not change is left as it was, `updated_at` included."""
    columns = [*UNIT_FIELDS, "source", "updated_at"]
    data = [c for c in columns if c not in ("siren", "updated_at")]
    return (
        f"INSERT INTO company ({', '.join(columns)})"  # noqa: S608 (fixed column names)
        f" SELECT DISTINCT ON (siren) {', '.join(UNIT_FIELDS)},"
        f" '{CompanySource.SIRENE.value}', $1::timestamptz"
        " FROM sirene_unit_rows WHERE problem IS NULL ORDER BY siren, line DESC"
        " ON CONFLICT (siren) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns if c != "siren")
        + f" WHERE ({', '.join(f'company.{c}' for c in data)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in data)})"
    )


def office_rows_sql(layout: Layout) -> str:
    """The head offices of units the registry holds, with head_office_from_establishment's
    fields and the other names search reads (the unit's sigle and usual names, the signs)."""
    public = partial(_public, layout)
    street = ", ".join(
        f"nullif({public(name)}, '')"
        for name in (
            "numeroVoieEtablissement",
            "indiceRepetitionEtablissement",
            "typeVoieEtablissement",
            "libelleVoieEtablissement",
        )
    )
    signs = (
        "enseigne1Etablissement",
        "enseigne2Etablissement",
        "enseigne3Etablissement",
        "denominationUsuelleEtablissement",
    )
    return f"""
    CREATE TEMP TABLE sirene_office_rows ON COMMIT DROP AS
    WITH fields AS (
      SELECT s.line, c.siren, c.sigle, c.usual_names,
        CASE WHEN c.signs = '' THEN c.other_names_norm END AS unit_names,
        NOT (c.is_natural_person OR c.diffusion = 'P'
             OR {_trimmed(layout, "statutDiffusionEtablissement")} <> 'O') AS full_address,
        {public("codePostalEtablissement", 5)} AS postcode,
        {public("libelleCommuneEtablissement", 100)} AS commune,
        {public("codeCommuneEtablissement")} AS commune_code,
        {public("complementAdresseEtablissement")} AS complement,
        concat_ws(' ', {street}) AS street,
        {", ".join(f"{public(name)} AS sign_{n}" for n, name in enumerate(signs))}
      FROM sirene_stage AS s JOIN company AS c ON c.siren = {_trimmed(layout, "siren")}
      OFFSET 0
    ), office AS (
      SELECT line, siren, sigle, usual_names, unit_names, postcode, commune,
        ponctuel_departement(commune_code, postcode) AS departement,
        CASE WHEN full_address
          THEN left(concat_ws(', ', nullif(complement, ''), nullif(street, '')), 500)
          ELSE '' END AS address,
        CASE WHEN full_address THEN ponctuel_joined(sign_0, sign_1, sign_2, sign_3, 500)
          ELSE '' END AS signs
      FROM fields OFFSET 0
    )
    SELECT line, siren, address, postcode, commune, departement, signs,
      -- A company without signs holds its sigle's and usual names' words: kept when the head
      -- office brings none either.
      CASE WHEN signs = '' AND unit_names IS NOT NULL THEN unit_names
        ELSE left(ponctuel_normalise_name(sigle || ' ' || usual_names || ' ' || signs),
                  {rules.OTHER_NAMES_NORM_MAX}) END AS other_names_norm
    FROM office
    """  # noqa: S608 (column names from the checked header)


OFFICE_FIELDS = ("address", "postcode", "commune", "departement", "signs", "other_names_norm")


def update_offices_sql() -> str:
    """The head offices' fields, on the companies where they changed (the last row wins)."""
    assignments = ", ".join(f"{c} = batch.{c}" for c in OFFICE_FIELDS)
    return (
        f"UPDATE company SET {assignments}, updated_at = $1::timestamptz"  # noqa: S608
        f" FROM (SELECT DISTINCT ON (siren) siren, {', '.join(OFFICE_FIELDS)}"
        " FROM sirene_office_rows ORDER BY siren, line DESC) AS batch"
        " WHERE company.siren = batch.siren"
        f" AND ({', '.join(f'company.{c}' for c in OFFICE_FIELDS)}) IS DISTINCT FROM"
        f" ({', '.join(f'batch.{c}' for c in OFFICE_FIELDS)})"
    )


def latest_names_sql(rows: str, names: str, where: str = "TRUE") -> str:
    """The `names` of the last row of each SIREN of the batch table `rows` (among those `where`
    holds), as the column `names` that words_sql reads."""
    return (
        f"SELECT DISTINCT ON (siren) {names} AS names FROM {rows} WHERE {where}"  # noqa: S608
        " ORDER BY siren, line DESC"
    )


REGISTRY_NAMES_SQL = "SELECT name_norm || ' ' || other_names_norm AS names FROM company"


def words_sql(names: str) -> str:
    """The words of the column `names` of the query `names` into the typo vocabulary (those it
    holds already are left out before they are written), sorted as its unique index is, which
    keeps the index's writes on neighbouring pages."""
    return f"""
    INSERT INTO search_word (word)
    SELECT words.word FROM ({words_of_sql(names)}) AS words
    WHERE NOT EXISTS (SELECT 1 FROM search_word AS known WHERE known.word = words.word)
    ORDER BY words.word
    ON CONFLICT (word) DO NOTHING
    """  # noqa: S608 (fixed names)


def words_of_sql(names: str) -> str:
    """The distinct words, of the lengths typo tolerance looks at, of the column `names` of the
    query `names`. Normalised names hold words between single spaces."""
    return f"""
    SELECT DISTINCT word
    FROM ({names}) AS latest, string_to_table(latest.names, ' ') AS word
    WHERE length(word) BETWEEN {rules.TYPO_MIN_LENGTH} AND {rules.TYPO_MAX_LENGTH}
    """  # noqa: S608 (fixed names)


PROBLEMS = {
    "siren": rules.bad_siren,
    "diffusion": rules.bad_diffusion,
    "state": rules.bad_state,
    "day": rules.bad_day,
}


class PostgresBatches:
    """Writes batches of COPY rows on one asyncpg connection, each in its own transaction:
    stage() then apply(), so that a batch can be put through the rules on one connection while
    the batch before it is written on another."""

    def __init__(
        self, connection: Any, layout: Layout, *, units: bool, first_load: bool = False
    ) -> None:
        self.connection = connection
        self.units = units
        self.first_load = first_load
        self.columns = _stage_columns(layout)
        # The batch's statements, the same for every batch of the file.
        if units:
            self.rows_sql = unit_rows_sql(layout)
            self.write_sql = upsert_units_sql()
            names = latest_names_sql(
                "sirene_unit_rows", "name_norm || ' ' || other_names_norm", "problem IS NULL"
            )
        else:
            self.rows_sql = office_rows_sql(layout)
            self.write_sql = update_offices_sql()
            names = latest_names_sql("sirene_office_rows", "other_names_norm")
        # In a first load the vocabulary is built once the files are in (finish_first_load).
        self.words_sql = None if first_load else words_sql(names)

    async def prepare(self) -> None:
        """The session made ready: its scratch table, and settings for writing in bulk.

        A batch's scratch tables (a few megabytes each) stay in the session's memory rather
        than going through files. A commit does not wait for its records to reach the disk:
        a batch and the count of rows done are still committed together or not at all, and
        should the server stop before they are on disk, the import carries on from the
        batches that are.
        """
        await self.connection.execute("SET temp_buffers = '64MB'")  # before any scratch table
        await self.connection.execute("SET synchronous_commit = off")
        columns = ", ".join(f"{name} text" for name in self.columns[1:])
        await self.connection.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS sirene_stage (line bigint, {columns})"
            " ON COMMIT DELETE ROWS"
        )

    async def stage(self, rows: Sequence[bytes]) -> tuple[int, list[tuple[int, str]]]:
        """A batch COPY'd in and put through the rules, inside the caller's transaction:
        (companies it will write, bad rows). Nothing of the registry is written yet."""
        if not rows:
            return 0, []
        await self.connection.copy_to_table(
            "sirene_stage",
            source=io.BytesIO(b"".join(rows)),
            columns=self.columns,
            format="csv",
            force_not_null=self.columns[1:],
        )
        await self.connection.execute(self.rows_sql)
        if self.units:
            refused = await self.connection.fetch(
                "SELECT line, problem, value FROM sirene_unit_rows"
                " WHERE problem IS NOT NULL ORDER BY line"
            )
            written = await self.connection.fetchval(
                "SELECT count(DISTINCT siren) FROM sirene_unit_rows WHERE problem IS NULL"
            )
            bad = [(row["line"], str(PROBLEMS[row["problem"]](row["value"]))) for row in refused]
        else:
            written = await self.connection.fetchval(
                "SELECT count(DISTINCT siren) FROM sirene_office_rows"
            )
            bad = []
        return written, bad

    async def apply(self, now: datetime) -> None:
        """The batch stage() took in (of one row at least) written into the registry, and into
        the vocabulary but in a first load, inside the transaction of stage()."""
        await self.connection.execute(self.write_sql, now)
        if self.words_sql:
            await self.connection.execute(self.words_sql)

    async def progress(self, import_id: int, rows_done: int, bad_rows: int) -> None:
        await self.connection.execute(
            "UPDATE sirene_import SET rows_done = $1, bad_rows = $2 WHERE id = $3",
            rows_done,
            bad_rows,
            import_id,
        )

    async def analyse(self) -> None:
        """The registry's indexes made clean and its statistics fresh once the file is in.

        The head offices rewrite every company row, and the name index keeps pointing at the
        old versions until a VACUUM: at a million companies a search then read 20,000 pages
        of dead rows to find 1,000 live ones (150 ms instead of 10). Rows written in bulk also
        wait in the GIN index's pending list, and the planner needs the new counts, or it may
        scan the registry instead of its indexes. In a first load only the counts are needed
        here (for the next file's look-ups by SIREN): finish_first_load builds the indexes from
        the live rows, and autovacuum clears the replaced ones.
        """
        if self.first_load:
            await self.connection.execute("ANALYZE company")
            return
        await self.connection.execute("VACUUM (ANALYZE) company")
        await self.connection.execute("SELECT gin_clean_pending_list('company_search_gin')")
        await self.connection.execute("ANALYZE search_word")


# --- a first load -------------------------------------------------------------------------------
#
# Writing a few million companies into an empty registry goes several times faster without its
# search indexes, which each row would otherwise update one by one, and with the typo vocabulary
# built once from the whole registry rather than batch by batch. A first load sets those indexes
# aside (their definitions kept in sirene_load, so that an interrupted load is finished by the
# next import) and builds them again from the loaded rows when its files are in. Unique indexes
# stay: the import's upserts rely on the unique SIREN, the vocabulary's on its unique words.

# The units fill the registry's pages only half full, so that the head offices' versions of
# the rows fit beside them: updated in place, they need no new entries in the indexes of the
# rows (PostgreSQL's heap-only tuples), and the table ends no larger than when the new versions
# went to pages of their own.
LOAD_FILLFACTOR = 50

HELD_INDEXES_SQL = """
SELECT x.indrelid::regclass::text AS table, index.relname AS name,
  pg_get_indexdef(x.indexrelid) AS definition
FROM pg_index AS x JOIN pg_class AS index ON index.oid = x.indexrelid
WHERE x.indrelid IN ('company'::regclass, 'search_word'::regclass) AND NOT x.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = x.indexrelid)
ORDER BY index.relname
"""


async def begin_first_load(connection: Any, now: datetime) -> bool:
    """Whether this import is a first load of the registry, or carries one on.

    A load is first when the registry holds no company of the SIRENE files yet; it then sets
    the search indexes aside, in the transaction that records it.
    """
    if await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM sirene_load WHERE finished_at IS NULL)"
    ):
        return True
    if await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM company WHERE source = $1)", CompanySource.SIRENE.value
    ):
        return False
    async with connection.transaction():
        held = [dict(row) for row in await connection.fetch(HELD_INDEXES_SQL)]
        await connection.execute(
            "INSERT INTO sirene_load (held_indexes, started_at) VALUES ($1, $2)",
            json.dumps(held),
            now,
        )
        for index in held:
            await connection.execute(f'DROP INDEX "{index["name"]}"')
        await connection.execute(f"ALTER TABLE company SET (fillfactor = {LOAD_FILLFACTOR})")
    return True


async def finish_first_load(connections: Sequence[Any], now: datetime) -> None:
    """The typo vocabulary of the whole registry, and the search indexes built again.

    With two connections, the first writes the registry's words into the vocabulary while the
    second builds the indexes, and then helps with those that are left. The rows the head
    offices replaced are left to autovacuum: the indexes built here point only at the live
    ones, and vacuuming before them put a second of work in the way of every first load.
    Each step can be done again: an interrupted end of a load is finished by the next run, and
    the load is recorded as finished only once every index is back. Each session's memory
    settings are raised for it: sorting index entries in memory rather than on disk is what
    makes a build many times faster than the same rows indexed one by one.
    """
    load = await connections[0].fetchrow(
        "SELECT id, held_indexes FROM sirene_load WHERE finished_at IS NULL ORDER BY id LIMIT 1"
    )
    if load is None:
        return
    for connection in connections:
        await connection.execute("SET maintenance_work_mem = '256MB'")
        await connection.execute("SET work_mem = '128MB'")
        # Compiling took a tenth of the time, and caching each name's words (a plan's Memoize
        # node: few names repeat) a sixth.
        await connection.execute("SET jit = off")
        await connection.execute("SET enable_memoize = off")
    # The largest first (the full-text index), so that the two connections end together.
    pending = deque(sorted(json.loads(load["held_indexes"]), key=_build_cost, reverse=True))

    async def indexes(connection: Any) -> None:
        while pending:
            await _build_index(connection, pending.popleft())

    async def words(connection: Any) -> None:
        await connection.execute(words_sql(REGISTRY_NAMES_SQL))
        await connection.execute("ANALYZE search_word")
        await indexes(connection)

    first, second = connections[0], connections[-1]
    if first is second:
        await words(first)
    else:
        await asyncio.gather(words(first), indexes(second))
    await first.execute("ANALYZE company")  # the indexed expressions' too
    await first.execute("ALTER TABLE company RESET (fillfactor)")
    await first.execute("UPDATE sirene_load SET finished_at = $1 WHERE id = $2", now, load["id"])


def _build_cost(index: dict[str, str]) -> int:
    return 1 if " USING gin " in index["definition"] else 0


async def _build_index(connection: Any, index: dict[str, str]) -> None:
    """An index set aside, unless it is back already, in a transaction that takes no writes of
    its table (other indexes of the table may be built meanwhile)."""
    async with connection.transaction():
        await connection.execute(f'LOCK TABLE "{index["table"]}" IN SHARE MODE')
        if await connection.fetchval("SELECT to_regclass($1)", index["name"]) is None:
            await connection.execute(index["definition"])

"""The SIRENE import: INSEE's stock files, streamed into the company registry in batches.

`StockUniteLegale` gives the legal units, `StockEtablissement` their head offices' addresses
(every other establishment is skipped). Files are read as INSEE publishes them: UTF-8 CSV with a
header line, zipped or not. Rows stream through (memory stays flat whatever the size) and are
written by batch, each committed with the count of rows done, so a run that is stopped carries
on from its last batch when started again on the same file. A bad row is counted and reported
with its line number; it never stops the run.

On SQLite each row goes through the rules of rules.py here and is upserted with executemany; on
PostgreSQL the rows are COPY'd in as they are and the same rules run in SQL (sirene_sql.py).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import zipfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TextIO

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.clock import Clock
from app.companies import sirene_sql
from app.companies.rules import (
    BadRecord,
    BadRow,
    CompanyFacts,
    CompanySource,
    HeadOfficeFacts,
    company_from_unit,
    head_office_from_establishment,
    is_head_office,
    other_names_norm,
    vocabulary_words,
)
from app.companies.tables import Company, SireneImport

UNIT_COLUMNS = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
)
ESTABLISHMENT_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
)
BATCH_ROWS = 5_000
BATCH_ROWS_COPY = 10_000  # PostgreSQL: one COPY and a few statements per batch
COPY_CONNECTIONS = 2  # PostgreSQL: batches staged on one while the one before is written
BAD_ROWS_KEPT = 1_000  # reported one by one; beyond that only counted, so memory stays flat
WORDS_REMEMBERED = 200_000  # words of the typo vocabulary not sent again (a few dozen MB)
FINGERPRINT_BYTES = 1 << 20


class ImportKind(StrEnum):
    UNITS = "units"
    ESTABLISHMENTS = "establishments"


COLUMNS = {ImportKind.UNITS: UNIT_COLUMNS, ImportKind.ESTABLISHMENTS: ESTABLISHMENT_COLUMNS}


class SireneFileError(Exception):
    """The file is not a SIRENE stock file of the expected kind (nothing was imported)."""


@dataclass
class ImportReport:
    kind: ImportKind
    rows: int = 0  # data rows read, this run and the runs it carries on from
    written: int = 0  # rows upserted by this run
    skipped: int = 0  # establishments that are not a head office, or of an unknown unit
    resumed_from: int = 0
    bad_count: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)

    def add_bad(self, bad: BadRow) -> None:
        self.bad_count += 1
        if len(self.bad_rows) < BAD_ROWS_KEPT:
            self.bad_rows.append(bad)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockFile:
    binary: IO[bytes]  # the CSV's bytes (PostgreSQL reads these)
    text: TextIO  # the same, decoded (SQLite reads these); only one of them is read
    size: int  # bytes on disk
    position: Callable[[], int]  # bytes read from the disk so far, for the progress bar


@contextmanager
def open_stock_file(path: Path) -> Iterator[StockFile]:
    """The CSV of a stock file: the file itself, or the one CSV inside a zip."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        if zipfile.is_zipfile(raw):
            with zipfile.ZipFile(raw) as archive:
                members = [name for name in archive.namelist() if name.lower().endswith(".csv")]
                if len(members) != 1:
                    raise SireneFileError(f"{path.name} holds {len(members)} CSV files, not one")
                with archive.open(members[0]) as member:
                    yield _stock(member, size, raw.tell)
            return
        raw.seek(0)
        yield _stock(raw, size, raw.tell)


def _stock(binary: IO[bytes], size: int, position: Callable[[], int]) -> StockFile:
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    return StockFile(binary=binary, text=text, size=size, position=position)


def fingerprint(path: Path) -> str:
    """Names the file's content cheaply: its size and its first mebibyte."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as raw:
        digest.update(raw.read(FINGERPRINT_BYTES))
    return digest.hexdigest()


def _checked_header(reader: Iterator[list[str]], kind: ImportKind) -> list[str]:
    """The header's column names, once it is known to be the header of a `kind` file."""
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        raise SireneFileError("the file is empty") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise SireneFileError(f"the header cannot be read: {error}") from error
    missing = [column for column in COLUMNS[kind] if column not in header]
    if missing:
        raise SireneFileError(
            f"not a {'StockUniteLegale' if kind is ImportKind.UNITS else 'StockEtablissement'}"
            f" file: missing columns {', '.join(missing[:5])}"
        )
    return header


def records(text: TextIO, kind: ImportKind) -> Iterator[tuple[int, dict[str, str] | BadRow]]:
    """(line number, record or bad row) for each data row; the header is checked first."""
    reader = csv.reader(text)
    header = _checked_header(reader, kind)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as error:
            yield reader.line_num, BadRow(reader.line_num, f"unreadable row: {error}")
            continue
        if len(row) != len(header):
            yield (
                reader.line_num,
                BadRow(reader.line_num, f"{len(row)} fields where the header has {len(header)}"),
            )
            continue
        yield reader.line_num, dict(zip(header, row, strict=True))


def copy_records(
    binary: IO[bytes], kind: ImportKind
) -> tuple[sirene_sql.Layout, Iterator[tuple[int, sirene_sql.Record]]]:
    """The header's layout, then (line number, COPY row, bad row or None) for each data row."""
    lines = iter(binary)
    first = next(lines, b"")
    try:
        header = _checked_header(csv.reader([first.decode("utf-8")] if first else []), kind)
    except UnicodeDecodeError as error:
        raise SireneFileError(f"the header cannot be read: {error}") from error
    layout = sirene_sql.Layout(tuple(header))
    head_offices_only = kind is ImportKind.ESTABLISHMENTS
    return layout, sirene_sql.copy_records(lines, layout, head_offices_only=head_offices_only)


# --- writing ------------------------------------------------------------------------------------

UNIT_FIELDS = sirene_sql.UNIT_FIELDS
OFFICE_FIELDS = sirene_sql.OFFICE_FIELDS


def _unit_values(facts: CompanyFacts) -> tuple[Any, ...]:
    return tuple(getattr(facts, name) for name in UNIT_FIELDS)


@dataclass(frozen=True)
class KnownUnit:
    commune_only: bool  # a natural person, or a unit partly masked
    sigle: str
    usual_names: str


class _SQLiteWriter:
    """Batches upserted with executemany on the import's connection, each with its progress."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        # Words already in the typo vocabulary: most names reuse the words of earlier ones
        # (forms, trades, surnames), whose rows need not be sent again. Bounded, so that the
        # memory stays flat whatever the size of the file.
        self.indexed_words: set[str] = set()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One transaction holding SQLite's write lock from its start."""
        await self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def units(self, batch: Sequence[CompanyFacts], now: datetime) -> None:
        """Upsert; a row whose data did not change is left as it was, `updated_at` included."""
        columns = [*UNIT_FIELDS, "source", "updated_at"]
        data = [c for c in columns if c not in ("siren", "updated_at")]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "siren") + (
            f" WHERE ({', '.join(f'company.{c}' for c in data)}) IS NOT"
            f" ({', '.join(f'excluded.{c}' for c in data)})"
        )
        rows = [(*_unit_values(f), CompanySource.SIRENE.value, now) for f in batch]
        marks = ", ".join("?" for _ in columns)
        await self.connection.executemany(
            f"INSERT INTO company ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            f" ON CONFLICT (siren) DO UPDATE SET {updates}",
            rows,
        )

    async def words(self, names: Iterable[str]) -> None:
        """The names' words into the vocabulary of typo tolerance (search_word)."""
        new_words = vocabulary_words(names) - self.indexed_words
        if len(self.indexed_words) + len(new_words) > WORDS_REMEMBERED:
            self.indexed_words.clear()
        self.indexed_words |= new_words
        if new_words:
            await self.connection.executemany(
                "INSERT INTO search_word (word) VALUES (?) ON CONFLICT (word) DO NOTHING",
                [(word,) for word in sorted(new_words)],
            )

    async def known_units(self, sirens: Sequence[str]) -> dict[str, KnownUnit]:
        """The units of these SIRENs that the registry holds."""
        if not sirens:
            return {}
        marks = ", ".join("?" for _ in sirens)
        cursor = await self.connection.execute(
            "SELECT siren, (is_natural_person OR diffusion = 'P') AS restricted, sigle,"  # noqa: S608
            f" usual_names FROM company WHERE siren IN ({marks})",
            list(sirens),
        )
        return {
            row["siren"]: KnownUnit(bool(row["restricted"]), row["sigle"], row["usual_names"])
            for row in await cursor.fetchall()
        }

    async def offices(self, batch: Sequence[HeadOfficeFacts], now: datetime) -> None:
        """The head offices' fields, on the rows where they changed."""
        rows = [
            (
                *(getattr(f, n) for n in OFFICE_FIELDS),
                now,
                f.siren,
                *(getattr(f, n) for n in OFFICE_FIELDS),
            )
            for f in batch
        ]
        await self.connection.executemany(
            f"UPDATE company SET {', '.join(f'{c} = ?' for c in OFFICE_FIELDS)}, updated_at = ?"  # noqa: S608
            f" WHERE siren = ? AND ({', '.join(OFFICE_FIELDS)}) IS NOT"
            f" ({', '.join('?' for _ in OFFICE_FIELDS)})",
            rows,
        )

    async def analyse(self) -> None:
        """The name index made compact and the statistics made fresh once the file is in.

        Rows written in bulk land in many small FTS5 segments, which every search would then
        read through; the planner also needs the new counts, or it may scan the registry
        instead of its indexes.
        """
        await self.connection.execute(
            "INSERT INTO company_search (company_search) VALUES ('optimize')"
        )
        for table in ("company", "search_word"):
            await self.connection.execute(f"ANALYZE {table}")

    async def progress(self, import_id: int, rows_done: int, bad_rows: int) -> None:
        await self.connection.execute(
            "UPDATE sirene_import SET rows_done = ?, bad_rows = ? WHERE id = ?",
            (rows_done, bad_rows, import_id),
        )


async def _resumable_run(kind: ImportKind, path: Path, clock: Clock) -> tuple[int, int, int]:
    """(import id, rows already done, bad rows so far) for this file: carried on, or new."""
    print_ = fingerprint(path)
    unfinished = (
        await SireneImport.select(SireneImport.id, SireneImport.rows_done, SireneImport.bad_rows)
        .where(
            (SireneImport.kind == kind)
            & (SireneImport.fingerprint == print_)
            & SireneImport.finished_at.is_null()
        )
        .order_by(SireneImport.id, ascending=False)
        .first()
    )
    if unfinished:
        return unfinished["id"], unfinished["rows_done"], unfinished["bad_rows"]
    rows = await SireneImport.insert(
        SireneImport(
            kind=kind, file_name=path.name[:500], fingerprint=print_, started_at=clock.now()
        )
    ).returning(SireneImport.id)
    return rows[0]["id"], 0, 0


@dataclass(frozen=True)
class RegistryLoad:
    """One run of the import over its files; `first` when it is a first load (sirene_sql)."""

    first: bool = False


@asynccontextmanager
async def registry_load(clock: Clock) -> AsyncIterator[RegistryLoad]:
    """The run of the import over its files, with what a first load needs around them.

    On PostgreSQL, a run into a registry without SIRENE companies (or one carrying on an
    interrupted first load) sets the search indexes aside while the files go in, and builds
    them and the typo vocabulary when they are. If the run fails they stay aside: the next run
    carries the load on and finishes it.
    """
    engine = Company._meta.db
    if not isinstance(engine, PostgresEngine):
        yield RegistryLoad()
        return
    connection = await asyncpg.connect(**engine.config)
    try:
        first = await sirene_sql.begin_first_load(connection, clock.now())
    finally:
        await connection.close()
    yield RegistryLoad(first=first)
    if first:
        connections = [await asyncpg.connect(**engine.config) for _ in range(COPY_CONNECTIONS)]
        try:
            await sirene_sql.finish_first_load(connections, clock.now())
        finally:
            for connection in connections:
                await connection.close()


# Called after each batch with the data rows read so far, the bytes read and the file's size.
Progress = Callable[[int, int, int], None]
Item = tuple[int, Any]  # (line number, what the engine's writer takes of that row)


async def import_file(
    path: Path,
    kind: ImportKind,
    *,
    clock: Clock,
    batch_rows: int | None = None,
    progress: Progress | None = None,
    load: RegistryLoad | None = None,
) -> ImportReport:
    """Import one stock file, carrying on from an earlier run over the same file.

    Inside registry_load, give its `load`: a first load writes the file without the typo
    vocabulary, which the load's end builds.
    """
    engine = Company._meta.db
    report = ImportReport(kind=kind)
    with open_stock_file(path) as stock:
        # The header is read first: a wrong file fails before anything is written.
        stream: Iterator[Item]
        if isinstance(engine, PostgresEngine):
            layout, stream = copy_records(stock.binary, kind)
        elif isinstance(engine, SQLiteEngine):
            rows = records(stock.text, kind)
            stream = _chain(next(rows, None), rows)
        else:
            raise TypeError(f"no SIRENE import for {type(engine).__name__}")
        import_id, done, bad_before = await _resumable_run(kind, path, clock)
        report.resumed_from = report.rows = done
        report.bad_count = bad_before

        def show(final: bool = False) -> None:
            if progress:
                progress(report.rows, stock.size if final else stock.position(), stock.size)

        batches = _batches(stream, skip=done, size=batch_rows or _batch_size(engine))
        if isinstance(engine, PostgresEngine):
            first_load = load is not None and load.first
            await _copy_batches(
                engine,
                layout,
                batches,
                report=report,
                import_id=import_id,
                clock=clock,
                first_load=first_load,
                shown=show,
            )
        else:
            connection = await engine.get_connection()
            writer = _SQLiteWriter(connection)
            try:
                for batch in batches:
                    await _write_batch(
                        writer,
                        batch,
                        kind=kind,
                        report=report,
                        import_id=import_id,
                        clock=clock,
                    )
                    show()
                await writer.analyse()
            finally:
                await connection.close()
        show(final=True)
    await SireneImport.update({SireneImport.finished_at: clock.now()}).where(
        SireneImport.id == import_id
    )
    return report


def _chain(first: Item | None, rest: Iterator[Item]) -> Iterator[Item]:
    if first is not None:
        yield first
        yield from rest


def _batch_size(engine: Any) -> int:
    return BATCH_ROWS_COPY if isinstance(engine, PostgresEngine) else BATCH_ROWS


def _batches(stream: Iterator[Item], *, skip: int, size: int) -> Iterator[list[Item]]:
    """The stream in batches of `size`, after the `skip` rows an earlier run wrote."""
    batch: list[Item] = []
    for position, item in enumerate(stream, start=1):
        if position <= skip:
            continue  # written by the run this one carries on from
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


async def _copy_batches(
    engine: PostgresEngine,
    layout: sirene_sql.Layout,
    batches: Iterator[list[Item]],
    *,
    report: ImportReport,
    import_id: int,
    clock: Clock,
    first_load: bool,
    shown: Callable[[], None],
) -> None:
    """The batches written by SQL (PostgreSQL) on two connections, in file order.

    While one connection writes a batch into the registry, the other reads the next one in and
    puts it through the rules, which is most of the work: the database's two halves of the
    work overlap. A batch is written only once the batch before it is committed, so that
    batches land, and the count of rows done grows, as if they were written one after the
    other. The file is read on the event loop's own thread: read in another, its lines were
    freed across threads and the import's memory grew with the file.
    """
    writers = []
    try:
        for _ in range(COPY_CONNECTIONS):
            writer = sirene_sql.PostgresBatches(
                await asyncpg.connect(**engine.config),
                layout,
                units=report.kind is ImportKind.UNITS,
                first_load=first_load,
            )
            await writer.prepare()
            writers.append(writer)
        in_flight: deque[asyncio.Task[None]] = deque()
        try:
            number = 0
            while (batch := next(batches, None)) is not None:
                if len(in_flight) == len(writers):
                    await in_flight.popleft()
                    shown()
                after = in_flight[-1] if in_flight else None
                write = _copy_batch(
                    writers[number % len(writers)],
                    batch,
                    after=after,
                    report=report,
                    import_id=import_id,
                    clock=clock,
                )
                in_flight.append(asyncio.create_task(write))
                number += 1
            while in_flight:
                await in_flight.popleft()
                shown()
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
        await writers[0].analyse()
    finally:
        for writer in writers:
            await writer.connection.close()


async def _copy_batch(
    writer: sirene_sql.PostgresBatches,
    batch: Sequence[Item],
    *,
    after: Awaitable[None] | None,
    report: ImportReport,
    import_id: int,
    clock: Clock,
) -> None:
    """One batch of COPY rows, staged, then written once the batch before it (`after`) is."""
    rows = [item for _, item in batch if isinstance(item, bytes)]
    bad = [item for _, item in batch if isinstance(item, BadRow)]
    async with writer.connection.transaction():
        written, refused = await writer.stage(rows)
        if after is not None:
            await after  # its failure fails this batch too, before anything is written
        if rows:
            await writer.apply(clock.now())
        good = len(batch) - len(bad)
        bad.extend(BadRow(line, reason) for line, reason in refused)
        for row in sorted(bad, key=lambda row: row.line):
            report.add_bad(row)
        report.rows += len(batch)
        report.written += written
        if not writer.units:  # not a head office, or of a unit the registry lacks
            report.skipped += good - written
        await writer.progress(import_id, report.rows, report.bad_count)


async def _write_batch(
    writer: _SQLiteWriter,
    batch: Sequence[Item],
    *,
    kind: ImportKind,
    report: ImportReport,
    import_id: int,
    clock: Clock,
) -> None:
    """A batch of records through the rules of rules.py (SQLite), with the count of rows done."""
    now = clock.now()
    bad: list[BadRow] = []
    units: dict[str, CompanyFacts] = {}
    offices: dict[str, HeadOfficeFacts] = {}
    if kind is ImportKind.UNITS:
        for line, item in batch:
            if isinstance(item, BadRow):
                bad.append(item)
                continue
            try:
                facts = company_from_unit(item)
            except BadRecord as error:
                bad.append(BadRow(line, str(error)))
                continue
            units[facts.siren] = facts  # the same SIREN twice in a batch: the last one wins
        written, skipped = len(units), 0
    else:
        sieges = [(line, item) for line, item in batch if not isinstance(item, BadRow)]
        bad.extend(item for _, item in batch if isinstance(item, BadRow))
        head_offices = [(line, item) for line, item in sieges if is_head_office(item)]
        known = await writer.known_units(
            [(item.get("siren") or "").strip() for _, item in head_offices]
        )
        for line, item in head_offices:
            siren = (item.get("siren") or "").strip()
            if siren not in known:
                continue
            unit = known[siren]
            try:
                office = head_office_from_establishment(item, commune_only=unit.commune_only)
            except BadRecord as error:
                bad.append(BadRow(line, str(error)))
                continue
            if office is not None:
                names = other_names_norm(unit.sigle, unit.usual_names, office.signs)
                offices[office.siren] = replace(office, other_names_norm=names)
        written = len(offices)
        skipped = len(sieges) - written  # not a head office, or of a unit the registry lacks
    for row in bad:
        report.add_bad(row)
    report.rows += len(batch)
    report.written += written
    report.skipped += skipped
    async with writer.transaction():  # the batch and the count of rows done, together
        if units:
            await writer.units(list(units.values()), now)
            await writer.words(f"{u.name_norm} {u.other_names_norm}" for u in units.values())
        if offices:
            await writer.offices(list(offices.values()), now)
            await writer.words(office.other_names_norm for office in offices.values())
        await writer.progress(import_id, report.rows, report.bad_count)

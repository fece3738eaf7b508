"""The SIRENE import: INSEE's stock files, streamed into the company registry in batches.

`StockUniteLegale` gives the legal units, `StockEtablissement` their head offices' addresses
(every other establishment is skipped). Files are read as INSEE publishes them: UTF-8 CSV with a
header line, zipped or not. Rows stream through (memory stays flat whatever the size), are
upserted by batch with the driver's fastest path (COPY into a scratch table on PostgreSQL,
executemany on SQLite), and each batch is committed with the count of rows done, so a run that
is stopped carries on from its last batch when started again on the same file. A bad row is
counted and reported with its line number; it never stops the run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.clock import Clock
from app.companies.rules import (
    BadRecord,
    CompanyFacts,
    CompanySource,
    HeadOfficeFacts,
    company_from_unit,
    head_office_from_establishment,
    is_head_office,
    other_names_norm,
    search_word_rows,
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
BAD_ROWS_KEPT = 1_000  # reported one by one; beyond that only counted, so memory stays flat
WORDS_REMEMBERED = 200_000  # words of the typo vocabulary not sent again (a few dozen MB)
FINGERPRINT_BYTES = 1 << 20


class ImportKind(StrEnum):
    UNITS = "units"
    ESTABLISHMENTS = "establishments"


COLUMNS = {ImportKind.UNITS: UNIT_COLUMNS, ImportKind.ESTABLISHMENTS: ESTABLISHMENT_COLUMNS}


class SireneFileError(Exception):
    """The file is not a SIRENE stock file of the expected kind (nothing was imported)."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


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
    text: TextIO
    size: int  # bytes on disk
    position: Callable[[], int]  # bytes read from the disk so far, for the progress bar


@contextmanager
def open_stock_file(path: Path) -> Iterator[StockFile]:
    """The CSV text of a stock file: the file itself, or the one CSV inside a zip."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        if zipfile.is_zipfile(raw):
            with zipfile.ZipFile(raw) as archive:
                members = [name for name in archive.namelist() if name.lower().endswith(".csv")]
                if len(members) != 1:
                    raise SireneFileError(f"{path.name} holds {len(members)} CSV files, not one")
                with archive.open(members[0]) as member:
                    text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                    yield StockFile(text=text, size=size, position=raw.tell)
            return
        raw.seek(0)
        yield StockFile(
            text=io.TextIOWrapper(raw, encoding="utf-8", newline=""), size=size, position=raw.tell
        )


def fingerprint(path: Path) -> str:
    """Names the file's content cheaply: its size and its first mebibyte."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as raw:
        digest.update(raw.read(FINGERPRINT_BYTES))
    return digest.hexdigest()


def records(text: TextIO, kind: ImportKind) -> Iterator[tuple[int, dict[str, str] | BadRow]]:
    """(line number, record or bad row) for each data row, after checking the header."""
    reader = csv.reader(text)
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


# --- writing ------------------------------------------------------------------------------------

UNIT_FIELDS = (
    "siren",
    "name",
    "sigle",
    "usual_names",
    "legal_category",
    "naf_code",
    "naf_nomenclature",
    "created_on",
    "size_band",
    "is_active",
    "diffusion",
    "is_natural_person",
    "slug",
    "name_norm",
    "sigle_norm",
    "other_names_norm",
)
OFFICE_FIELDS = (
    "siren",
    "address",
    "postcode",
    "commune",
    "departement",
    "signs",
    "other_names_norm",
)


def _unit_values(facts: CompanyFacts) -> tuple[Any, ...]:
    return tuple(getattr(facts, name) for name in UNIT_FIELDS)


@dataclass(frozen=True)
class KnownUnit:
    commune_only: bool  # a natural person, or a unit partly masked
    sigle: str
    usual_names: str


class _Writer:
    """Batches upserted through the engine's own driver, each with its progress row."""

    def __init__(self, connection: Any, *, is_postgres: bool) -> None:
        self.connection = connection
        self.is_postgres = is_postgres
        # Words already in the typo vocabulary: most names reuse the words of earlier ones
        # (forms, trades, surnames), whose rows need not be sent again. Bounded, so that the
        # memory stays flat whatever the size of the file.
        self.indexed_words: set[str] = set()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One transaction on the import's connection (holding SQLite's write lock)."""
        if self.is_postgres:
            async with self.connection.transaction():
                yield
            return
        await self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def _copied(
        self, batch: str, like: str, columns: list[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """COPY the rows into a temporary table `batch` of those columns of table `like`,
        emptied at the end of the transaction (PostgreSQL)."""
        await self.connection.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {batch} ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {', '.join(columns)} FROM {like} WITH NO DATA"
        )
        await self.connection.copy_records_to_table(batch, records=rows, columns=columns)

    @property
    def differs(self) -> str:
        return "IS DISTINCT FROM" if self.is_postgres else "IS NOT"

    async def units(self, batch: Sequence[CompanyFacts], now: datetime) -> None:
        """Upsert; a row whose data did not change is left as it was, `updated_at` included."""
        columns = [*UNIT_FIELDS, "source", "updated_at"]
        data = [c for c in columns if c not in ("siren", "updated_at")]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "siren") + (
            f" WHERE ({', '.join(f'company.{c}' for c in data)}) {self.differs}"
            f" ({', '.join(f'excluded.{c}' for c in data)})"
        )
        rows = [(*_unit_values(f), CompanySource.SIRENE.value, now) for f in batch]
        if self.is_postgres:
            await self._copied("sirene_unit_batch", "company", columns, rows)
            await self.connection.execute(
                f"INSERT INTO company ({', '.join(columns)})"  # noqa: S608 (fixed column names)
                f" SELECT {', '.join(columns)} FROM sirene_unit_batch"
                f" ON CONFLICT (siren) DO UPDATE SET {updates}"
            )
            return
        marks = ", ".join("?" for _ in columns)
        await self.connection.executemany(
            f"INSERT INTO company ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            f" ON CONFLICT (siren) DO UPDATE SET {updates}",
            rows,
        )

    async def words(self, names: Iterable[str]) -> None:
        """The names' words into the vocabulary of typo tolerance (search_word)."""
        new_words = {word for name in names for word in name.split()} - self.indexed_words
        rows = sorted(search_word_rows(new_words))
        if len(self.indexed_words) + len(new_words) > WORDS_REMEMBERED:
            self.indexed_words.clear()
        self.indexed_words |= new_words
        if not rows:
            return
        if self.is_postgres:
            await self._copied("search_word_batch", "search_word", ["variant", "word"], rows)
            await self.connection.execute(
                "INSERT INTO search_word (variant, word) SELECT variant, word"
                " FROM search_word_batch ON CONFLICT DO NOTHING"
            )
            return
        await self.connection.executemany(
            "INSERT INTO search_word (variant, word) VALUES (?, ?) ON CONFLICT DO NOTHING", rows
        )

    async def known_units(self, sirens: Sequence[str]) -> dict[str, KnownUnit]:
        """The units of these SIRENs that the registry holds."""
        if not sirens:
            return {}
        select = (
            "SELECT siren, (is_natural_person OR diffusion = 'P') AS restricted, sigle,"
            " usual_names FROM company"
        )
        if self.is_postgres:
            found = await self.connection.fetch(
                f"{select} WHERE siren = ANY($1::text[])", list(sirens)
            )
        else:
            marks = ", ".join("?" for _ in sirens)
            cursor = await self.connection.execute(
                f"{select} WHERE siren IN ({marks})", list(sirens)
            )
            found = await cursor.fetchall()
        return {
            row["siren"]: KnownUnit(bool(row["restricted"]), row["sigle"], row["usual_names"])
            for row in found
        }

    async def offices(self, batch: Sequence[HeadOfficeFacts], now: datetime) -> None:
        """The head offices' fields, on the rows where they changed."""
        fields = OFFICE_FIELDS[1:]
        if self.is_postgres:
            # One set-based UPDATE from a copied batch: row by row, each statement cost more
            # than the row's own work.
            await self._copied(
                "sirene_office_batch",
                "company",
                ["siren", *fields, "updated_at"],
                [(f.siren, *(getattr(f, n) for n in fields), now) for f in batch],
            )
            assignments = ", ".join(f"{c} = batch.{c}" for c in [*fields, "updated_at"])
            await self.connection.execute(
                f"UPDATE company SET {assignments}"  # noqa: S608 (fixed column names)
                " FROM sirene_office_batch AS batch WHERE company.siren = batch.siren"
                f" AND ({', '.join(f'company.{c}' for c in fields)}) {self.differs}"
                f" ({', '.join(f'batch.{c}' for c in fields)})"
            )
            return
        rows = [
            (*(getattr(f, n) for n in fields), now, f.siren, *(getattr(f, n) for n in fields))
            for f in batch
        ]
        await self.connection.executemany(
            f"UPDATE company SET {', '.join(f'{c} = ?' for c in fields)}, updated_at = ?"  # noqa: S608
            f" WHERE siren = ? AND ({', '.join(fields)}) {self.differs}"
            f" ({', '.join('?' for _ in fields)})",
            rows,
        )

    async def analyse(self) -> None:
        """Indexes made compact and statistics made fresh once the file is in.

        Rows written in bulk wait in the name index's pending list (PostgreSQL's GIN) or in many
        small segments (SQLite's FTS5), which every search would then read through: at 100,000
        companies that tripled the time of a search. The planner also needs the new counts, or
        it may scan the registry instead of its indexes.
        """
        if self.is_postgres:
            await self.connection.execute("SELECT gin_clean_pending_list('company_search_gin')")
        else:
            await self.connection.execute(
                "INSERT INTO company_search (company_search) VALUES ('optimize')"
            )
        for table in ("company", "search_word"):
            await self.connection.execute(f"ANALYZE {table}")

    async def progress(self, import_id: int, rows_done: int, bad_rows: int) -> None:
        if self.is_postgres:
            await self.connection.execute(
                "UPDATE sirene_import SET rows_done = $1, bad_rows = $2 WHERE id = $3",
                rows_done,
                bad_rows,
                import_id,
            )
            return
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


# Called after each batch with the data rows read so far, the bytes read and the file's size.
Progress = Callable[[int, int, int], None]


async def import_file(
    path: Path,
    kind: ImportKind,
    *,
    clock: Clock,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one stock file, carrying on from an earlier run over the same file."""
    engine = Company._meta.db
    report = ImportReport(kind=kind)
    with open_stock_file(path) as stock:
        stream = records(stock.text, kind)
        first = next(stream, None)  # reads the header: a wrong file fails before any write
        import_id, done, bad_before = await _resumable_run(kind, path, clock)
        report.resumed_from = report.rows = done
        report.bad_count = bad_before
        if isinstance(engine, PostgresEngine):
            connection: Any = await asyncpg.connect(**engine.config)
        elif isinstance(engine, SQLiteEngine):
            connection = await engine.get_connection()
        else:
            raise TypeError(f"no SIRENE import for {type(engine).__name__}")
        writer = _Writer(connection, is_postgres=isinstance(engine, PostgresEngine))
        try:
            batch: list[tuple[int, dict[str, str] | BadRow]] = []
            position = 0
            for item in _chain(first, stream):
                position += 1
                if position <= done:
                    continue  # written by the run this one carries on from
                batch.append(item)
                if len(batch) >= batch_rows:
                    await _write_batch(writer, batch, kind, report, import_id, clock)
                    batch = []
                    if progress:
                        progress(report.rows, stock.position(), stock.size)
            await _write_batch(writer, batch, kind, report, import_id, clock)
            if progress:
                progress(report.rows, stock.size, stock.size)
            await writer.analyse()
        finally:
            await connection.close()
    await SireneImport.update({SireneImport.finished_at: clock.now()}).where(
        SireneImport.id == import_id
    )
    return report


def _chain(
    first: tuple[int, dict[str, str] | BadRow] | None,
    rest: Iterator[tuple[int, dict[str, str] | BadRow]],
) -> Iterator[tuple[int, dict[str, str] | BadRow]]:
    if first is not None:
        yield first
        yield from rest


async def _write_batch(
    writer: _Writer,
    batch: Sequence[tuple[int, dict[str, str] | BadRow]],
    kind: ImportKind,
    report: ImportReport,
    import_id: int,
    clock: Clock,
) -> None:
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

"""Database engine selection, binding, database-enforced checks and the unique-violation mapping."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
from asyncpg.exceptions import UniqueViolationError
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from app.settings import Settings


def postgres_config(url: str) -> dict[str, object]:
    """asyncpg connection arguments: the DSN exactly as given.

    asyncpg reads every libpq parameter of the URL itself, `sslmode` included, so
    `sslmode=verify-full` checks the server's certificate and `require` refuses plaintext.
    """
    return {"dsn": url}


class ReusingSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping its connections between statements while its pool is on.

    Piccolo opens a connection, and the thread aiosqlite runs it in, for every statement outside
    a transaction: a few milliseconds each, more than most of our queries take. Between
    `start_connection_pool()` and `close_connection_pool()` (the app's and the worker's
    lifespans, as for PostgreSQL's pool) such statements run on a kept connection instead, in
    autocommit mode as before; up to `max_idle` wait for the next statement, and more are
    opened while many run at once. Transactions still get a connection of their own.
    Outside a pool (migrations, one-off scripts) nothing is kept, so nothing must be closed.
    """

    __slots__ = ("_idle", "_max_idle", "_pooled", "_wal")

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self._max_idle = 0
        self._pooled = False
        self._wal = False

    async def start_connection_pool(self, *, max_idle: int = 4) -> None:
        self._max_idle = max_idle
        self._pooled = True

    async def close_connection_pool(self) -> None:
        self._pooled = False
        while self._idle:
            await self._idle.pop().close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        if not self._pooled:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = self._idle.pop() if self._idle else await self._new_connection()
        kept = False
        try:
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
            kept = self._keep(connection)
            return rows
        except sqlite3.Error:
            kept = self._keep(connection)  # a refused statement leaves the connection as it was
            raise
        finally:
            if not kept:
                connection.stop()  # cancelled mid-statement, or enough are waiting already

    async def _new_connection(self) -> aiosqlite.Connection:
        connection = await self.get_connection()
        if not self._wal:
            # Readers and the writer stop blocking each other; the file keeps the mode, so it
            # is asked once per process (and again later if another connection held a lock).
            with contextlib.suppress(sqlite3.OperationalError):
                await connection.execute("PRAGMA journal_mode = WAL")
                self._wal = True
        return connection

    def _keep(self, connection: aiosqlite.Connection) -> bool:
        if not self._pooled or connection.in_transaction or len(self._idle) >= self._max_idle:
            return False
        self._idle.append(connection)
        return True


async def open_pool(engine: Engine, *, size: int) -> None:  # type: ignore[type-arg]
    """Keep up to `size` connections between queries, on either engine."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=size)
    elif isinstance(engine, ReusingSQLiteEngine):
        await engine.start_connection_pool(max_idle=size)


async def close_pool(engine: Engine) -> None:  # type: ignore[type-arg]
    if isinstance(engine, (PostgresEngine, ReusingSQLiteEngine)):
        await engine.close_connection_pool()


def engine_for(settings: Settings) -> Engine:  # type: ignore[type-arg]
    """PostgreSQL when DATABASE_URL points at one, else the embedded SQLite file."""
    url = settings.database_url
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config=postgres_config(url))
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else settings.sqlite_path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return ReusingSQLiteEngine(path=path)


def bind_engine(engine: Engine, tables: list[type[Table]]) -> None:  # type: ignore[type-arg]
    """Point every table at the engine chosen from Settings (not the import-time default)."""
    for table in tables:
        table._meta.db = engine


def write_transaction(engine: Engine) -> Any:  # type: ignore[type-arg]
    """A transaction that takes SQLite's write lock when it begins (BEGIN IMMEDIATE).

    Two such transactions never interleave their reads and writes on SQLite; on PostgreSQL it
    is a plain transaction, and callers lock the rows their rule reads.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_unique_violation(error: BaseException) -> bool:
    """True for a unique-constraint failure on either engine."""
    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


@asynccontextmanager
async def unique_violation_as(
    refusal: Callable[[], Exception],
) -> AsyncIterator[None]:
    """Turn a unique-constraint failure inside the block into `refusal()` (a DomainError).

    A concurrent request that inserted the same row first is answered like any other
    refusal, on both engines; every other error goes through untouched.
    """
    try:
        yield
    except Exception as error:
        if is_unique_violation(error):
            raise refusal() from error
        raise


@dataclass(frozen=True)
class Check:
    """A rule on one column that the database itself enforces, on both engines.

    `condition` is SQL that must hold for the row, with `{column}` where the column goes, e.g.
    `{column} IN ('a', 'b')`. `on_postgres=False` when PostgreSQL already enforces the rule
    through the column's type (VARCHAR(n) for lengths).
    """

    name: str
    table: str
    column: str
    condition: str
    on_postgres: bool = True


def length_check(table: str, column: str, max_length: int) -> Check:
    """At most `max_length` characters, as VARCHAR(n) means on PostgreSQL."""
    return Check(
        name=f"{table}_{column}_length",
        table=table,
        column=column,
        condition=f"length({{column}}) <= {max_length}",
        on_postgres=False,
    )


def check_statements(engine_type: str, check: Check) -> list[str]:
    """The SQL that installs `check` on a "postgres" or "sqlite" database.

    PostgreSQL gets a named CHECK constraint. SQLite cannot add one to an existing table, so it
    gets triggers before INSERT and before UPDATE of the column that abort with the same
    "CHECK constraint failed: <name>" message SQLite gives for its own CHECK constraints.
    A NULL value passes, as it does a CHECK constraint.
    """
    table, column = _quoted(check.table), _quoted(check.column)
    if engine_type == "postgres":
        if not check.on_postgres:
            return []
        condition = check.condition.format(column=column)
        return [f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(check.name)} CHECK ({condition})"]
    if engine_type != "sqlite":
        raise ValueError(f"no check statements for the {engine_type!r} engine")
    condition = check.condition.format(column=f"NEW.{column}")
    abort = f"SELECT RAISE(ABORT, 'CHECK constraint failed: {check.name}')"
    events = {"insert": "INSERT", "update": f"UPDATE OF {column}"}
    return [
        f"CREATE TRIGGER IF NOT EXISTS {_quoted(f'{check.name}_{suffix}')}"
        f" BEFORE {event} ON {table} FOR EACH ROW WHEN NOT ({condition})"
        f" BEGIN {abort}; END"
        for suffix, event in events.items()
    ]


def _quoted(identifier: str) -> str:
    """An identifier of our own schema (letters, digits, underscores), double-quoted."""
    if not identifier.replace("_", "").isalnum() or not identifier.isascii():
        raise ValueError(f"{identifier!r} is not a plain SQL identifier")
    return f'"{identifier}"'


def sql_migration(
    migration_id: str,
    description: str,
    *,
    statements: Sequence[str] = (),
    per_engine: Mapping[str, Sequence[str]] | None = None,
    checks: Sequence[Check] = (),
) -> Callable[[], Awaitable[MigrationManager]]:
    """The `forwards` of a migration written as SQL: `statements` on both engines, then those
    of `per_engine` for the engine migrated ("postgres" or "sqlite"), then the `checks`."""

    async def forwards() -> MigrationManager:
        manager = MigrationManager(
            migration_id=migration_id, app_name="ponctuel", description=description
        )
        # Made here, so that its engine is the one being migrated.
        raw_table: type[Table] = type("RawTable", (Table,), {})

        async def run() -> None:
            engine_type = raw_table._meta.db.engine_type
            own = (per_engine or {}).get(engine_type, ())
            installs = [
                statement for check in checks for statement in check_statements(engine_type, check)
            ]
            for statement in [*statements, *own, *installs]:
                # raw() reads {} as a placeholder: braces of the SQL itself ("{4}") are doubled.
                await raw_table.raw(statement.replace("{", "{{").replace("}", "}}"))

        manager.add_raw(run)
        return manager

    return forwards

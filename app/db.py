"""Database engine selection, binding and the engine-neutral unique-violation mapping."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from app.settings import Settings


def postgres_config(url: str) -> dict[str, object]:
    """asyncpg connection arguments: the DSN exactly as given.

    asyncpg reads every libpq parameter of the URL itself, `sslmode` included, so
    `sslmode=verify-full` checks the server's certificate and `require` refuses plaintext.
    """
    return {"dsn": url}


def engine_for(settings: Settings) -> Engine:  # type: ignore[type-arg]
    """PostgreSQL when DATABASE_URL points at one, else the embedded SQLite file."""
    url = settings.database_url
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config=postgres_config(url))
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else settings.sqlite_path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(path=path)


def bind_engine(engine: Engine, tables: list[type[Table]]) -> None:  # type: ignore[type-arg]
    """Point every table at the engine chosen from Settings (not the import-time default)."""
    for table in tables:
        table._meta.db = engine


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

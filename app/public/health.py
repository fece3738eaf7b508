"""Health of the moving parts: database, Redis, and the worker's heartbeat."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.tables import User
from app.settings import Settings


def heartbeat_key(settings: Settings) -> str:
    return f"{settings.redis_prefix}:worker:heartbeat"


async def _database_ok() -> tuple[bool, str]:
    try:
        await asyncio.wait_for(User.raw("SELECT 1"), timeout=3)
    except Exception as error:  # any driver error means "not OK", reported, never raised
        return False, type(error).__name__
    return True, "ok"


async def _redis_ok(redis: Redis) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(redis.ping(), timeout=3)
    except (RedisError, OSError, TimeoutError) as error:
        return False, type(error).__name__
    return True, "ok"


async def _worker_ok(redis: Redis, settings: Settings, now: datetime) -> tuple[bool, str]:
    try:
        raw = await redis.get(heartbeat_key(settings))
    except (RedisError, OSError):
        return False, "redis unavailable"
    if raw is None:
        return False, "no heartbeat"
    age = (now - datetime.fromisoformat(raw.decode())).total_seconds()
    if age > settings.worker_heartbeat_max_age_seconds:
        return False, f"last heartbeat {int(age)} s ago"
    return True, f"last heartbeat {int(age)} s ago"


async def check_health(*, redis: Redis, settings: Settings, now: datetime) -> dict[str, Any]:
    database, redis_status, worker = await asyncio.gather(
        _database_ok(), _redis_ok(redis), _worker_ok(redis, settings, now)
    )
    checks = {"database": database, "redis": redis_status, "worker": worker}
    return {
        "ok": all(ok for ok, _ in checks.values()),
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()},
    }


async def check_liveness() -> dict[str, Any]:
    ok, detail = await _database_ok()
    return {"ok": ok, "checks": {"database": {"ok": ok, "detail": detail}}}

"""Enqueue background jobs by name: the app never imports the workers package."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool

from app.settings import Settings


async def create_queue(settings: Settings) -> ArqRedis:
    return await create_pool(
        RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.queue_name
    )


async def enqueue(
    queue: ArqRedis,
    name: str,
    *args: Any,
    job_id: str | None = None,
    defer_by: timedelta | None = None,
) -> bool:
    """Queue job `name` (to run `defer_by` from now at the earliest); False when a job with
    the same id is already queued, running or kept.

    The delay counts in the queue's own time, not in a business clock's: a job is never due
    in the past because the application's clock was set back.

    arq's job ids are global to the Redis server: the id is prefixed with the queue's name, so
    two deployments sharing one Redis never hold back each other's jobs.
    """
    if job_id is not None:
        job_id = f"{queue.default_queue_name}:{job_id}"
    job = await queue.enqueue_job(name, *args, _job_id=job_id, _defer_by=defer_by)
    return job is not None

"""Enqueue background jobs by name: the app never imports the workers package."""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool

from app.settings import Settings


async def create_queue(settings: Settings) -> ArqRedis:
    return await create_pool(
        RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.queue_name
    )


async def enqueue(queue: ArqRedis, name: str, *args: Any, job_id: str | None = None) -> bool:
    """Queue job `name`; False when a job with the same id is already queued or kept."""
    job = await queue.enqueue_job(name, *args, _job_id=job_id)
    return job is not None

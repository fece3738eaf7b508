"""The one worker definition: jobs, cron, start-up and shut-down, run by `python -m workers`.

Settings are read from the environment when the worker starts (`main`), never at import, and
are checked like the web process's.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.logs import default_log_config
from arq.worker import run_worker

from app.clock import SystemClock
from app.db import bind_engine, close_pool, engine_for, open_pool
from app.piccolo_app import ALL_TABLES
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.web import make_environment
from workers.accounts import delete_expired_signups, send_password_reset
from workers.email import send_email
from workers.health import heartbeat
from workers.scores import (
    recompute_company_score,
    refresh_sector_medians,
    refresh_stale_scores,
)


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    settings.check()
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    await open_pool(engine, size=5)
    ctx.update(
        engine=engine,
        clock=ctx.get("clock") or SystemClock(),
        templates=make_environment(),
        limiter=RateLimiter(ctx["redis"], prefix=settings.redis_prefix),
    )
    await heartbeat(ctx)


async def shutdown(ctx: dict[str, Any]) -> None:
    engine = ctx.get("engine")
    if engine is not None:  # None when the startup failed before choosing it
        await close_pool(engine)


FUNCTIONS = [
    func(send_email, max_tries=8, timeout=60),
    func(send_password_reset, max_tries=3, timeout=30),
    func(recompute_company_score, max_tries=5, timeout=120),
]
CRON_JOBS = [
    cron(heartbeat, second={0, 15, 30, 45}, run_at_startup=True, unique=True, timeout=10),
    cron(delete_expired_signups, minute=17, second=0, unique=True, timeout=300),
    cron(refresh_stale_scores, minute=41, second=0, unique=True, timeout=300),
    cron(refresh_sector_medians, minute=47, second=0, unique=True, timeout=600),
]


def worker_options(settings: Settings) -> dict[str, Any]:
    """Everything an arq Worker needs, for `main` and for the tests alike."""
    return {
        "functions": FUNCTIONS,
        "cron_jobs": CRON_JOBS,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "health_check_key": f"{settings.queue_name}:health-check",
        "poll_delay": 0.2,
        "keep_result": 60,
        "ctx": {"settings": settings},
    }


def main() -> None:
    """Run the worker until it is told to stop (SIGINT/SIGTERM)."""
    settings = Settings.from_env(os.environ)
    logging.config.dictConfig(default_log_config(verbose=settings.debug))
    run_worker(worker_options(settings))

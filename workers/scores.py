"""Score jobs: recompute one company's stored score, and refresh the scores of past days."""

from __future__ import annotations

import logging
from typing import Any

from app.clock import paris_today
from app.scores import service

logger = logging.getLogger(__name__)


async def recompute_company_score(ctx: dict[str, Any], company_id: int) -> bool:
    return await service.recompute_company_score(company_id=company_id, clock=ctx["clock"])


async def refresh_stale_scores(ctx: dict[str, Any]) -> int:
    """Hourly: scores computed on an earlier day are computed again (unpaid invoices age)."""
    clock = ctx["clock"]
    companies = await service.stale_scores(clock=clock)
    day = paris_today(clock).isoformat()
    for company_id in companies:
        await service.request_recomputation(ctx["redis"], company_id=company_id, key=day)
    if companies:
        logger.info("queued %d scores computed on an earlier day", len(companies))
    return len(companies)


async def refresh_sector_medians(ctx: dict[str, Any]) -> int:
    """Hourly: the median score of each NAF division, for the company pages' comparison."""
    return await service.refresh_sector_medians(clock=ctx["clock"])

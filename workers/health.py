"""The worker's heartbeat, read by /healthz."""

from __future__ import annotations

from typing import Any

from app.public.health import heartbeat_key


async def heartbeat(ctx: dict[str, Any]) -> None:
    settings = ctx["settings"]
    await ctx["redis"].set(heartbeat_key(settings), ctx["clock"].now().isoformat(), ex=3600)

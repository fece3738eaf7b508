"""Single-use values in Redis: the first claim of a value succeeds, every later one is refused.

A claim is one `SET NX` with a time to live, so two requests racing with the same value cannot
both win, and the marker disappears by itself once the value could no longer be used anyway.
Values are stored as keyed digests, never as themselves.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis


class SingleUse:
    """Remembers, for a while, which values of each kind were already used."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, kind: str, value: str) -> str:
        digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:40]
        return f"{self.prefix}:used:{kind}:{digest}"

    async def claim(self, kind: str, value: str, *, ttl_seconds: int) -> bool:
        """True the first time `value` is claimed within `ttl_seconds`, False afterwards."""
        created = await self.redis.set(self._key(kind, value), b"1", nx=True, ex=ttl_seconds)
        return bool(created)

"""Fixed-window counters in Redis, keyed by action and client address."""

from __future__ import annotations

from redis.asyncio import Redis


class RateLimiter:
    """Count attempts per (action, key) over a window; Redis expires the window for us."""

    def __init__(self, redis: Redis, *, prefix: str, window_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.window_seconds = window_seconds

    def _key(self, action: str, key: str) -> str:
        return f"{self.prefix}:ratelimit:{action}:{key}"

    async def is_exceeded(self, action: str, key: str, limit: int) -> bool:
        count = await self.redis.get(self._key(action, key))
        return count is not None and int(count) >= limit

    async def hit(self, action: str, key: str) -> int:
        """Record one attempt; returns the count in the current window."""
        redis_key = self._key(action, key)
        count = int(await self.redis.incr(redis_key))
        if count == 1:  # the first attempt opens the window (EXPIRE NX needs Redis 7)
            await self.redis.expire(redis_key, self.window_seconds)
        return count

    async def reset(self, action: str, key: str) -> None:
        await self.redis.delete(self._key(action, key))

"""Fixed-window counters in Redis: count an attempt first, atomically, then decide.

Counting before the work is what makes a limit hold under parallel requests: each request
takes its number in one Redis round trip (a Lua script runs atomically), and only the first
`limit` of a window go on. The window's expiry is set by the same script, so a counter can
never be left without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

# KEYS[1] the counter; ARGV[1] the window in seconds. Returns the count after this attempt.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""
# Give an attempt back without ever creating a counter (it may have expired meanwhile).
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Hit:
    """One counted attempt: its number in the window, and whether it stays within the limit."""

    count: int
    limit: int

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def is_first_refusal(self) -> bool:
        """The attempt that crossed the limit (a notice is sent once, not on every refusal)."""
        return self.count == self.limit + 1


class RateLimiter:
    """Count attempts per (action, key) over a window."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._hit = redis.register_script(_HIT)
        self._refund = redis.register_script(_REFUND)

    def _key(self, action: str, key: str) -> str:
        return f"{self.prefix}:ratelimit:{action}:{key}"

    async def hit(self, action: str, key: str, *, limit: int, window_seconds: int) -> Hit:
        """Count one attempt now; the caller goes on only when the hit is `allowed`."""
        count = await self._hit(keys=[self._key(action, key)], args=[window_seconds])
        return Hit(count=int(count), limit=limit)

    async def refund(self, action: str, key: str) -> None:
        """Give back an attempt that turned out legitimate (a successful login)."""
        await self._refund(keys=[self._key(action, key)])

"""Fixed-window counters in Redis: count an attempt first, atomically, then decide.

Counting before the work is what makes a limit hold under parallel requests: each request
takes its number in one Redis round trip (a Lua script runs atomically), and only the first
`limit` of a window go on. The window's expiry is set by the same script, so a counter can
never be left without one.

Two kinds of window: `hit` starts one at the first attempt and lets Redis end it; `hit_in_window`
counts in windows cut from the app's clock (aligned on the epoch), so the app decides when a
pause ends and can say so to the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
    resets_at: datetime | None = None  # known for windows cut from the app's clock

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

    async def hit_in_window(
        self, action: str, key: str, *, limit: int, window_seconds: int, now: datetime
    ) -> Hit:
        """Count one attempt in the clock window that holds `now`; the hit says when it ends.

        The counter's expiry (one window, set by the same script) only reclaims the key: the
        next window has a key of its own, whatever Redis's clock says.
        """
        start = _window_start(now, window_seconds)
        counter = self._key(action, f"{key}:{start}")
        count = await self._hit(keys=[counter], args=[window_seconds])
        resets_at = datetime.fromtimestamp(start + window_seconds, UTC)
        return Hit(count=int(count), limit=limit, resets_at=resets_at)

    async def refund_in_window(
        self, action: str, key: str, *, window_seconds: int, now: datetime
    ) -> None:
        """Give back an attempt counted by `hit_in_window` with the same `now`."""
        start = _window_start(now, window_seconds)
        await self._refund(keys=[self._key(action, f"{key}:{start}")])


def _window_start(now: datetime, window_seconds: int) -> int:
    """The epoch second at which the window holding `now` began."""
    epoch = int(now.timestamp())
    return epoch - epoch % window_seconds

"""The only module that reads the wall clock; everything else receives a Clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Real time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)  # noqa: TID251


def paris_today(clock: Clock) -> date:
    """The business day in Europe/Paris at the clock's instant."""
    return clock.now().astimezone(PARIS).date()


class FixedClock:
    """A clock that only moves when told to; for tests and demo data."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

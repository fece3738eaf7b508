"""Pure rules of the payer score (no I/O)."""

from __future__ import annotations

from enum import StrEnum

SCORE_MAX = 100


class Band(StrEnum):
    """How a score reads to the public, from its value."""

    ON_TIME = "on_time"  # 80-100: pays on time
    SLIGHT = "slight"  # 60-79: slight delays
    FREQUENT = "frequent"  # 40-59: frequent delays
    SEVERE = "severe"  # 0-39: severe delays


_LOWER_BOUNDS = ((80, Band.ON_TIME), (60, Band.SLIGHT), (40, Band.FREQUENT), (0, Band.SEVERE))


def band_for(value: int) -> Band:
    """The band of a score from 0 to 100."""
    if not 0 <= value <= SCORE_MAX:
        raise ValueError(f"a score runs from 0 to {SCORE_MAX}, not {value}")
    return next(band for lower, band in _LOWER_BOUNDS if value >= lower)

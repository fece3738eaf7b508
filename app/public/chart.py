"""The score history as an SVG line chart, computed on the server (no script needed).

A month without a score breaks the line: the chart never draws a value it does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.scores.rules import SCORE_MAX

WIDTH = 640
HEIGHT = 220
LEFT = 36  # room for the axis labels
RIGHT = 12
TOP = 12
BOTTOM = 28
GRID_VALUES = (0, 40, 60, 80, 100)  # the band boundaries


@dataclass(frozen=True)
class ChartPoint:
    month: date
    value: int
    x: float
    y: float


@dataclass(frozen=True)
class GridLine:
    value: int
    y: float


@dataclass(frozen=True)
class MonthTick:
    month: date
    x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    lines: tuple[str, ...]  # SVG polyline `points`, one per run of months with a score
    points: tuple[ChartPoint, ...]
    grid: tuple[GridLine, ...]
    ticks: tuple[MonthTick, ...]  # every third month, for the axis labels

    @property
    def is_empty(self) -> bool:
        return not self.points


def _y(value: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / SCORE_MAX), 1)


def history_chart(history: Sequence[tuple[date, int | None]]) -> Chart:
    """Coordinates of the chart of these (month, value) pairs, oldest first."""
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(history) - 1, 1)
    lines: list[str] = []
    run: list[str] = []
    points: list[ChartPoint] = []
    ticks: list[MonthTick] = []
    for index, (month, value) in enumerate(history):
        x = round(LEFT + index * step, 1)
        if (len(history) - 1 - index) % 3 == 0:
            ticks.append(MonthTick(month=month, x=x))
        if value is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        y = _y(value)
        run.append(f"{x},{y}")
        points.append(ChartPoint(month=month, value=value, x=x, y=y))
    if run:
        lines.append(" ".join(run))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        lines=tuple(lines),
        points=tuple(points),
        grid=tuple(GridLine(value=value, y=_y(value)) for value in GRID_VALUES),
        ticks=tuple(ticks),
    )

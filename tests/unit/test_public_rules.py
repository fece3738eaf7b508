"""Pure rules of the public site: search filters and the history chart's geometry."""

from __future__ import annotations

from datetime import date

import pytest

from app.companies.rules import BadFilter, FilterProblem, SearchFilters, parse_filters
from app.public.chart import BOTTOM, HEIGHT, TOP, history_chart
from app.scores.rules import sector_median


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, SearchFilters()),
        ({"place": "69"}, SearchFilters(departement="69")),
        ({"place": " 2a "}, SearchFilters(departement="2A")),
        ({"place": "690"}, SearchFilters(postcode="690")),
        ({"place": "75009"}, SearchFilters(postcode="75009")),
        ({"place": "974"}, SearchFilters(postcode="974")),
        ({"activity": "j"}, SearchFilters(naf_section="J")),
        ({"activity": "62"}, SearchFilters(naf="62")),
        ({"activity": "6201Z"}, SearchFilters(naf="62.01Z")),
        ({"activity": "62.01z"}, SearchFilters(naf="62.01Z")),
        ({"state": "actives"}, SearchFilters(is_active=True)),
        ({"state": "cessees"}, SearchFilters(is_active=False)),
    ],
)
def test_filters_read_what_people_type(given: dict[str, str], expected: SearchFilters) -> None:
    assert parse_filters(**given) == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"place": "Lyon"}, FilterProblem.PLACE),
        ({"place": "00"}, FilterProblem.PLACE),
        ({"place": "96"}, FilterProblem.PLACE),
        ({"place": "2C"}, FilterProblem.PLACE),
        ({"place": "750091"}, FilterProblem.PLACE),
        ({"activity": "V"}, FilterProblem.ACTIVITY),
        ({"activity": "6"}, FilterProblem.ACTIVITY),
        ({"activity": "62.01ZZ"}, FilterProblem.ACTIVITY),
        ({"activity": "'; --"}, FilterProblem.ACTIVITY),
        ({"state": "toutes"}, FilterProblem.STATE),
    ],
)
def test_a_filter_that_cannot_be_read_names_its_field(
    given: dict[str, str], problem: FilterProblem
) -> None:
    with pytest.raises(BadFilter) as raised:
        parse_filters(**given)
    assert raised.value.problem is problem


def test_a_month_without_a_score_breaks_the_line() -> None:
    months = [date(2026, m, 1) for m in range(1, 7)]
    chart = history_chart(list(zip(months, [None, 80, 60, None, 40, 100], strict=True)))
    assert len(chart.lines) == 2
    assert [point.value for point in chart.points] == [80, 60, 40, 100]
    assert chart.points[-1].y == TOP, "100 is drawn at the top"
    assert [line.y for line in chart.grid if line.value == 0] == [HEIGHT - BOTTOM]
    assert chart.points[0].x < chart.points[1].x


def test_no_score_at_all_draws_nothing() -> None:
    chart = history_chart([(date(2026, 1, 1), None), (date(2026, 2, 1), None)])
    assert chart.is_empty and chart.lines == ()


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([50, 60, 70, 80], None),  # too few companies to speak for a sector
        ([90, 10, 50, 70, 30], 50),
        ([10, 20, 30, 40, 50, 61], 35),
        ([10, 20, 30, 40, 50, 60], 35),  # 35.0: no rounding surprise
        ([0, 0, 100, 100, 100, 100], 100),
        ([1, 2, 3, 4, 6, 7], 4),  # 3.5 rounds half up, as every score does
    ],
)
def test_the_sector_median(values: list[int], median: int | None) -> None:
    assert sector_median(values) == median

"""The payer score: points, weights, cap, bonus, recommendations, publication, confidence,
explanation and history, as tables of cases and as properties over generated outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.scores.rules import (
    AmountBand,
    Band,
    Confidence,
    Outcome,
    Publication,
    Recommendation,
    amount_band,
    creditor_letter,
    creditor_ranks,
    month_ends,
    monthly_history,
    points_for,
    score,
    weight,
    years_after,
    years_before,
)

TODAY = date(2026, 12, 1)
A, B, C, D = 1, 2, 3, 4


SETTLED = TODAY - timedelta(days=30)  # every payment of a test the same age: the same decay


def paid(
    creditor: int,
    days_late: int,
    *,
    settled_on: date = SETTLED,
    amount_cents: int = 100_000,
    **facts: object,
) -> Outcome:
    """Paid `days_late` days after its due date, on `settled_on`."""
    return Outcome(
        creditor_id=creditor,
        due_on=settled_on - timedelta(days=days_late),
        amount_cents=amount_cents,
        settled_on=settled_on,
        **facts,  # type: ignore[arg-type]
    )


def unpaid(creditor: int, *, due_on: date, amount_cents: int = 100_000, **facts: object) -> Outcome:
    return Outcome(creditor_id=creditor, due_on=due_on, amount_cents=amount_cents, **facts)  # type: ignore[arg-type]


# --- points -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "points"),
    [
        (-400, 100),
        (-30, 100),
        (-20, 95),
        (-10, 90),
        (-1, 81),
        (0, 80),
        (15, 70),
        (22, 60),
        (26, 55),
        (30, 50),
        (45, 45),
        (60, 40),
        (90, 30),
        (120, 20),
        (150, 15),
        (180, 10),
        (365, 10),
        (10_000, 10),
    ],
)
def test_points_follow_the_payment_index_curve(days: int, points: float) -> None:
    assert points_for(days) == pytest.approx(points)


@given(st.integers(-1000, 1000), st.integers(0, 1000))
def test_paying_later_never_earns_more_points(days: int, more: int) -> None:
    assert points_for(days + more) <= points_for(days)
    assert 10 <= points_for(days) <= 100


# --- weights ----------------------------------------------------------------------------------


def test_weight_is_the_square_root_of_the_euros_halved_each_year() -> None:
    assert weight(10_000, 0) == pytest.approx(10.0)  # 100 €
    assert weight(1_000_000, 0) == pytest.approx(100.0)  # 10,000 €: 100 times the amount, 10x
    assert weight(10_000, 365) == pytest.approx(5.0)
    assert weight(10_000, 730) == pytest.approx(2.5)


def test_an_outcome_for_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        Outcome(creditor_id=A, due_on=TODAY, amount_cents=0)
    with pytest.raises(ValueError):
        weight(0, 0)


def test_a_large_invoice_counts_more_but_cannot_drown_twenty_small_ones() -> None:
    small = [paid(A, 0, amount_cents=50_000) for _ in range(20)]  # 20 x 500 € on time
    large = paid(A, 180, amount_cents=10_000_000)  # 100,000 € six months late
    result = score([*small, large], TODAY)
    assert result is not None
    # the large one weighs 316, the twenty small 20 x 22.4: (447 x 80 + 316 x 10) / 763 = 51
    assert result.base_value == 51
    assert score([large], TODAY).value == 10  # type: ignore[union-attr]


def test_a_declared_outcome_weighs_three_quarters_of_a_verified_one() -> None:
    on_time_verified = paid(A, 0, is_verified=True)
    late_declared = paid(A, 30)
    result = score([on_time_verified, late_declared], TODAY)
    assert result is not None
    # (80 x 1 + 50 x 0.75) / 1.75 = 67.1
    assert result.value == 67
    assert (result.verified_count, result.declared_count) == (1, 1)


def test_old_outcomes_fade_and_an_unpaid_invoice_does_not() -> None:
    old_late = paid(A, 60, settled_on=date(2024, 12, 1))  # two years ago: a quarter of a weight
    recent_on_time = paid(A, 0, settled_on=TODAY)  # (40 x 0.25 + 80) / 1.25 = 72
    assert score([old_late, recent_on_time], TODAY).value == 72  # type: ignore[union-attr]
    old_unpaid = unpaid(A, due_on=date(2024, 10, 1))  # still unpaid: full weight, 10 points
    assert score([old_unpaid, recent_on_time], TODAY).value == 45  # type: ignore[union-attr]


# --- the score ----------------------------------------------------------------------------------


def test_no_outcome_means_no_score_never_a_default_number() -> None:
    assert score([], TODAY) is None
    not_yet_due = unpaid(A, due_on=TODAY + timedelta(days=1))
    paid_early_but_not_due = Outcome(
        creditor_id=A, due_on=TODAY + timedelta(days=10), amount_cents=100, settled_on=TODAY
    )
    assert score([not_yet_due, paid_early_but_not_due], TODAY) is None


def test_an_unpaid_invoice_counts_from_its_due_date_and_grows_later_every_day() -> None:
    overdue = unpaid(A, due_on=date(2026, 11, 1))  # 30 days late on 1 December
    assert score([overdue], date(2026, 11, 1)).value == 80  # type: ignore[union-attr]
    assert score([overdue], TODAY).value == 50  # type: ignore[union-attr]
    assert score([overdue], date(2027, 1, 30)).value == 30  # type: ignore[union-attr]


def test_a_payment_recorded_after_the_day_of_the_score_is_still_unpaid_that_day() -> None:
    outcome = paid(A, 30, settled_on=date(2026, 10, 31))  # due on 1 October
    assert score([outcome], date(2026, 10, 16)).contributions[0].is_paid is False  # type: ignore[union-attr]
    assert score([outcome], date(2026, 10, 16)).value == 70  # type: ignore[union-attr]
    assert score([outcome], date(2026, 10, 31)).contributions[0].is_paid is True  # type: ignore[union-attr]


def test_the_value_rounds_half_up() -> None:
    early_and_late = [paid(A, -30), paid(A, 45)]  # 100 and 45 points at the same weight
    assert score(early_and_late, TODAY).value == 73  # type: ignore[union-attr]
    on_time_and_a_week_late = [paid(A, 0), paid(A, 7)]  # 80 and 75.33: 77.67
    assert score(on_time_and_a_week_late, TODAY).value == 78  # type: ignore[union-attr]


def test_no_creditor_carries_more_than_half_of_the_weight_once_two_report() -> None:
    heavy = [paid(A, 0, amount_cents=1_000_000) for _ in range(9)]  # 9 x 100 on time
    light = [paid(B, 60, amount_cents=10_000)]  # 40 points, weight 10
    result = score([*heavy, *light], TODAY)
    assert result is not None
    assert result.base_value == 60  # A scaled to half: (80 + 40) / 2
    shares = {row.creditor_rank: 0.0 for row in result.contributions}
    for row in result.contributions:
        shares[row.creditor_rank] += row.share
    assert sorted(shares.values()) == pytest.approx([0.5, 0.5])
    assert score(heavy, TODAY).value == 80  # type: ignore[union-attr]


def test_a_cap_at_exactly_half_rounds_half_up() -> None:
    outcomes = [paid(A, -30, amount_cents=40_000), paid(B, 15, amount_cents=10_000)]
    # A (100 points, weight 20 x 0.75) above half: scaled to B's weight, (100 + 45... no:
    # B is 70 points; (100 + 70) / 2 = 85.
    assert score(outcomes, TODAY).base_value == 85  # type: ignore[union-attr]
    outcomes = [paid(A, -30, amount_cents=40_000), paid(B, 30 + 15, amount_cents=10_000)]
    # B 45 days late: 45 points; (100 + 45) / 2 = 72.5, shown 73
    assert score(outcomes, TODAY).base_value == 73  # type: ignore[union-attr]


def test_outcomes_between_related_companies_are_ignored() -> None:
    related = paid(A, -30, is_related_party=True)
    assert score([related], TODAY) is None
    late = paid(B, 60)
    assert score([related, late], TODAY).value == 40  # type: ignore[union-attr]


def test_paying_on_time_after_a_good_payer_reminder_earns_five_points() -> None:
    reminded = paid(A, 0, had_good_reminder=True)
    assert score([reminded], TODAY).value == 85  # type: ignore[union-attr]
    assert score([reminded], TODAY).contributions[0].has_bonus  # type: ignore[union-attr]
    early = paid(A, -30, had_good_reminder=True)
    assert score([early], TODAY).value == 100  # type: ignore[union-attr]
    late = paid(A, 1, had_good_reminder=True)
    assert score([late], TODAY).contributions[0].has_bonus is False  # type: ignore[union-attr]
    assert score([late], TODAY).value == 79  # type: ignore[union-attr]
    not_reminded = paid(A, 0)
    assert score([not_reminded], TODAY).value == 80  # type: ignore[union-attr]


# --- recommendations ----------------------------------------------------------------------------


def test_a_recommendation_counts_once_its_creditor_was_paid_in_the_last_two_years() -> None:
    outcomes = [paid(A, 15), paid(B, 15), unpaid(C, due_on=date(2026, 11, 16))]  # 70, 70, 70
    recommendations = [
        Recommendation(creditor_id=A, given_on=date(2026, 11, 1)),
        Recommendation(creditor_id=A, given_on=date(2026, 11, 2)),  # the same creditor again
        Recommendation(creditor_id=C, given_on=date(2026, 11, 1)),  # C was never paid
        Recommendation(creditor_id=D, given_on=date(2026, 11, 1)),  # D reported nothing
        Recommendation(creditor_id=B, given_on=date(2026, 12, 2)),  # given after the day
    ]
    result = score(outcomes, TODAY, recommendations)
    assert result is not None
    assert (result.base_value, result.recommendation_points, result.value) == (70, 1, 71)
    long_ago = [paid(A, 15, settled_on=date(2024, 11, 16))]  # paid more than two years ago
    stale = score(long_ago, TODAY, [Recommendation(creditor_id=A, given_on=date(2024, 12, 1))])
    assert stale is not None and stale.recommendation_points == 0


def test_the_two_years_of_a_recommendation_end_the_day_before_the_same_date() -> None:
    recommended = [Recommendation(creditor_id=A, given_on=date(2024, 1, 1))]
    two_years_ago = [paid(A, 15, settled_on=years_before(TODAY, 2))]
    assert score(two_years_ago, TODAY, recommended).recommendation_points == 0  # type: ignore[union-attr]
    a_day_later = [paid(A, 15, settled_on=years_before(TODAY, 2) + timedelta(days=1))]
    assert score(a_day_later, TODAY, recommended).recommendation_points == 1  # type: ignore[union-attr]


def test_recommendations_add_five_points_at_most_and_never_pass_a_hundred() -> None:
    creditors = range(1, 9)
    outcomes = [paid(creditor, 15) for creditor in creditors]
    recommendations = [Recommendation(creditor_id=c, given_on=TODAY) for c in creditors]
    assert score(outcomes, TODAY, recommendations).value == 75  # type: ignore[union-attr]
    nearly_perfect = [paid(creditor, -28) for creditor in creditors]  # 99 points each
    assert score(nearly_perfect, TODAY, recommendations).value == 100  # type: ignore[union-attr]
    perfect = [paid(creditor, -30) for creditor in creditors]
    result = score(perfect, TODAY, recommendations)
    assert result is not None
    assert (result.value, result.recommendation_points) == (100, 0)


# --- publication --------------------------------------------------------------------------------


def test_a_published_unpaid_invoice_scores_nothing_triples_its_weight_and_caps_at_40() -> None:
    good = [paid(A, -30, amount_cents=1_000_000) for _ in range(5)]  # 100 points, weight 100
    published = unpaid(B, due_on=date(2026, 9, 1), published_on=date(2026, 11, 1))
    before = score([*good, published], date(2026, 10, 31))
    assert before is not None and before.is_capped_by_publication is False
    result = score([*good, published], TODAY)
    assert result is not None
    assert result.contributions[-1].publication is Publication.UNPAID
    assert result.contributions[-1].points == 0
    # A capped to half against B's weight 10 x 0.75 x 3: (100 + 0) / 2 = 50, then capped
    assert (result.base_value, result.value, result.is_capped_by_publication) == (50, 40, True)


def test_a_published_unpaid_invoice_weighs_three_times_its_amount() -> None:
    on_time = paid(A, 0, settled_on=TODAY)
    published = unpaid(A, due_on=date(2026, 9, 1), published_on=date(2026, 11, 1))
    result = score([on_time, published], TODAY)
    assert result is not None
    assert result.base_value == 20  # (80 x 1 + 0 x 3) / 4
    assert [row.share for row in result.contributions] == pytest.approx([0.25, 0.75])


def test_a_regularised_publication_costs_ten_points_for_two_years_after_payment() -> None:
    settled = date(2026, 11, 15)
    regularised = Outcome(
        creditor_id=A,
        due_on=date(2026, 9, 1),
        amount_cents=100_000,
        settled_on=settled,
        published_on=date(2026, 11, 1),
    )  # 75 days late: 35 points, then minus 10
    result = score([regularised], TODAY)
    assert result is not None
    assert (result.value, result.is_capped_by_publication) == (25, False)
    assert result.contributions[0].publication is Publication.REGULARISED
    assert score([regularised], years_after(settled, 2)).value == 35  # type: ignore[union-attr]
    heavily_late = replace(regularised, due_on=date(2026, 1, 1), published_on=date(2026, 3, 1))
    assert score([heavily_late], TODAY).value == 0  # type: ignore[union-attr]


def test_a_publication_must_come_after_the_due_date_and_before_any_payment() -> None:
    with pytest.raises(ValueError):
        unpaid(A, due_on=TODAY, published_on=TODAY - timedelta(days=1))
    with pytest.raises(ValueError):
        Outcome(
            creditor_id=A,
            due_on=date(2026, 9, 1),
            amount_cents=100,
            settled_on=date(2026, 10, 1),
            published_on=date(2026, 10, 2),
        )


# --- confidence and explanation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "confidence"),
    [
        ([paid(A, 0), paid(B, 0)], Confidence.LOW),  # fewer than three
        ([paid(A, 0)] * 20, Confidence.LOW),  # one creditor
        ([paid(A, 0), paid(A, 0), paid(B, 0)], Confidence.MEDIUM),
        ([paid(A, 0)] * 8 + [paid(B, 0)] * 2, Confidence.MEDIUM),  # ten, but two creditors
        ([paid(A, 0)] * 8 + [paid(B, 0), paid(C, 0)], Confidence.HIGH),
        (
            [paid(A, 0)] * 7
            + [paid(B, 0), paid(C, 0)]
            + [paid(A, 0, settled_on=date(2024, 1, 1))],  # older than two years: not recent
            Confidence.MEDIUM,
        ),
        ([paid(A, 0)] * 8 + [paid(B, 0), unpaid(C, due_on=date(2020, 1, 1))], Confidence.HIGH),
        (
            [paid(A, 0)] * 8 + [paid(B, 0), paid(C, 0, settled_on=years_before(TODAY, 2))],
            Confidence.MEDIUM,  # paid two years ago to the day: no longer recent
        ),
    ],
)
def test_confidence_grows_with_outcomes_and_creditors_of_the_last_two_years(
    outcomes: list[Outcome], confidence: Confidence
) -> None:
    assert score(outcomes, TODAY).confidence is confidence  # type: ignore[union-attr]


def test_the_explanation_names_no_creditor_and_no_amount() -> None:
    outcomes = [
        paid(7, 0, settled_on=date(2026, 9, 1), amount_cents=50_000, is_verified=True),
        paid(3, 30, settled_on=date(2026, 10, 31), amount_cents=250_000),
        unpaid(7, due_on=date(2026, 11, 1), amount_cents=12_000_000),
        paid(5, -5, settled_on=date(2026, 7, 27), amount_cents=1_500_000),
    ]
    result = score(outcomes, TODAY)
    assert result is not None
    rows = [
        (r.creditor_rank, r.amount_band, r.due_on, r.days_beyond_terms, r.is_paid, r.is_verified)
        for r in result.contributions
    ]
    assert rows == [  # newest due date first; creditors lettered by their first due date
        (1, AmountBand.OVER_100K, date(2026, 11, 1), 30, False, False),
        (2, AmountBand.FROM_1K_TO_10K, date(2026, 10, 1), 30, True, False),
        (1, AmountBand.UNDER_1K, date(2026, 9, 1), 0, True, True),
        (0, AmountBand.FROM_10K_TO_100K, date(2026, 8, 1), -5, True, False),
    ]
    assert sum(row.share for row in result.contributions) == pytest.approx(1.0)
    assert result.creditor_count == 3
    assert result.band is band_of(result.value)


def band_of(value: int) -> Band:
    return Band.ON_TIME if value >= 80 else Band.SLIGHT if value >= 60 else Band.FREQUENT


@pytest.mark.parametrize(
    ("cents", "band"),
    [
        (1, AmountBand.UNDER_1K),
        (99_999, AmountBand.UNDER_1K),
        (100_000, AmountBand.FROM_1K_TO_10K),
        (999_999, AmountBand.FROM_1K_TO_10K),
        (1_000_000, AmountBand.FROM_10K_TO_100K),
        (9_999_999, AmountBand.FROM_10K_TO_100K),
        (10_000_000, AmountBand.OVER_100K),
    ],
)
def test_amounts_are_shown_as_bands(cents: int, band: AmountBand) -> None:
    assert amount_band(cents) is band


@pytest.mark.parametrize(
    ("rank", "letter"), [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ")]
)
def test_creditors_are_lettered_like_spreadsheet_columns(rank: int, letter: str) -> None:
    assert creditor_letter(rank) == letter


def test_creditors_are_ranked_by_their_first_due_date_then_by_id() -> None:
    outcomes = [paid(9, 0, settled_on=date(2026, 5, 1)), paid(4, 0, settled_on=date(2026, 6, 1))]
    outcomes += [paid(2, 0, settled_on=date(2026, 5, 1)), paid(4, 0, settled_on=date(2026, 1, 1))]
    assert creditor_ranks(outcomes) == {4: 0, 2: 1, 9: 2}


# --- history ------------------------------------------------------------------------------------


def test_month_ends_run_back_from_today_across_years_and_short_months() -> None:
    ends = month_ends(date(2027, 3, 10), 5)
    assert ends == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 10),
    ]


def test_a_29_february_moves_to_the_28th_in_a_year_without_one() -> None:
    assert years_before(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert years_after(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_history_is_the_score_at_each_month_end_over_the_current_facts() -> None:
    outcomes = [unpaid(A, due_on=date(2026, 9, 15))]
    history = monthly_history(outcomes, TODAY, months=5)
    assert [(point.month, point.value) for point in history] == [
        (date(2026, 8, 1), None),  # not due yet
        (date(2026, 9, 1), 70),  # 15 days late on 30 September
        (date(2026, 10, 1), 45),  # 46 days: 44.67
        (date(2026, 11, 1), 35),  # 76 days: 34.67
        (date(2026, 12, 1), 34),  # 77 days on 1 December: 34.33
    ]
    corrected = [replace(outcomes[0], settled_on=date(2026, 10, 10))]  # it was paid after all
    # 25 days late: 56.25, from the end of October on
    assert [point.value for point in monthly_history(corrected, TODAY, months=5)] == [
        None,
        70,
        56,
        56,
        56,
    ]


# --- properties ---------------------------------------------------------------------------------

DAY_ZERO = date(2024, 1, 1)
days = st.integers(0, 3 * 365)


@st.composite
def outcomes(draw: st.DrawFn) -> Outcome:
    due_on = DAY_ZERO + timedelta(days=draw(days))
    settled_on = draw(st.none() | st.integers(-60, 400).map(lambda d: due_on + timedelta(days=d)))
    published_on = None
    if draw(st.booleans()) and draw(st.booleans()):
        latest = settled_on or due_on + timedelta(days=400)
        gap = (latest - due_on).days
        if gap >= 0:
            published_on = due_on + timedelta(days=draw(st.integers(0, gap)))
    return Outcome(
        creditor_id=draw(st.integers(1, 4)),
        due_on=due_on,
        amount_cents=draw(st.integers(1, 50_000_000)),
        settled_on=settled_on,
        is_verified=draw(st.booleans()),
        had_good_reminder=draw(st.booleans()),
        published_on=published_on,
        is_related_party=draw(st.integers(0, 9)) == 0,
    )


facts = st.lists(outcomes(), max_size=12)
recommendations = st.lists(
    st.builds(
        Recommendation,
        creditor_id=st.integers(1, 5),
        given_on=days.map(lambda d: DAY_ZERO + timedelta(days=d)),
    ),
    max_size=4,
)
as_of_days = st.integers(0, 4 * 365).map(lambda d: DAY_ZERO + timedelta(days=d))


def value(result: object) -> int | None:
    return None if result is None else result.value  # type: ignore[attr-defined]


def counts(outcome: Outcome, as_of: date) -> bool:
    return not outcome.is_related_party and outcome.due_on <= as_of


@settings(max_examples=300)
@given(facts, as_of_days, recommendations)
def test_a_score_is_from_0_to_100_and_exists_exactly_when_an_outcome_counts(
    found: list[Outcome], as_of: date, recommended: list[Recommendation]
) -> None:
    result = score(found, as_of, recommended)
    if any(counts(outcome, as_of) for outcome in found):
        assert result is not None
        assert 0 <= result.value <= 100
        assert len(result.contributions) == sum(counts(o, as_of) for o in found)
    else:
        assert result is None


@settings(max_examples=300)
@given(facts, as_of_days)
def test_no_creditor_has_more_than_half_of_the_weight_when_two_or_more_report(
    found: list[Outcome], as_of: date
) -> None:
    result = score(found, as_of)
    assume(result is not None and result.creditor_count >= 2)
    assert result is not None
    shares: dict[int, float] = {}
    for row in result.contributions:
        shares[row.creditor_rank] = shares.get(row.creditor_rank, 0.0) + row.share
    assert max(shares.values()) <= 0.5 + 1e-9


@settings(max_examples=300)
@given(facts, st.data(), as_of_days, st.integers(1, 200))
def test_an_outcome_later_against_its_terms_never_raises_the_score(
    found: list[Outcome], data: st.DataObject, as_of: date, earlier_by: int
) -> None:
    """The due date moves earlier, the payment stays: later against its terms, same weight."""
    counted = [i for i, outcome in enumerate(found) if counts(outcome, as_of)]
    assume(counted)
    index = data.draw(st.sampled_from(counted))
    later = list(found)
    later[index] = replace(found[index], due_on=found[index].due_on - timedelta(days=earlier_by))
    assert value(score(later, as_of)) <= value(score(found, as_of))  # type: ignore[operator]


@settings(max_examples=300)
@given(
    facts,
    as_of_days,
    recommendations,
    st.integers(0, 100),
    st.integers(0, 400),
    st.integers(1, 50_000_000),
    st.booleans(),
    st.integers(1, 5),
)
def test_an_outcome_as_punctual_as_all_the_others_never_lowers_the_score(
    found: list[Outcome],
    as_of: date,
    recommended: list[Recommendation],
    sooner_by: int,
    age: int,
    amount_cents: int,
    is_verified: bool,
    creditor: int,
) -> None:
    before = score(found, as_of, recommended)
    assume(before is not None)
    assert before is not None
    days_late = min(row.days_beyond_terms for row in before.contributions) - sooner_by
    settled_on = as_of - timedelta(days=max(0, -days_late) + age)
    new = Outcome(
        creditor_id=creditor,
        due_on=settled_on - timedelta(days=days_late),
        amount_cents=amount_cents,
        settled_on=settled_on,
        is_verified=is_verified,
        had_good_reminder=True,  # so that it earns the bonus too when it is on time
    )
    after = score([*found, new], as_of, recommended)
    assert after is not None
    assert after.value >= before.value


@settings(max_examples=300)
@given(facts, outcomes(), as_of_days)
def test_an_outcome_between_related_companies_changes_nothing(
    found: list[Outcome], related: Outcome, as_of: date
) -> None:
    related = replace(related, is_related_party=True)
    assert score([*found, related], as_of) == score(found, as_of)


@settings(max_examples=200)
@given(facts, st.data(), st.integers(-60, 400))
def test_correcting_a_payment_date_rewrites_history_from_that_date_and_never_before(
    found: list[Outcome], data: st.DataObject, moved_by: int
) -> None:
    assume(found)
    index = data.draw(st.integers(0, len(found) - 1))
    original = found[index]
    new_settled_on = original.due_on + timedelta(days=moved_by)
    assume(original.published_on is None or new_settled_on >= original.published_on)
    assume(new_settled_on != original.settled_on)
    corrected = list(found)
    corrected[index] = replace(original, settled_on=new_settled_on)
    as_of = DAY_ZERO + timedelta(days=4 * 365)
    before = monthly_history(found, as_of)
    after = monthly_history(corrected, as_of)
    first_change = min(day for day in (original.settled_on, new_settled_on) if day is not None)
    for old_point, new_point, end in zip(before, after, month_ends(as_of), strict=True):
        if end < first_change:
            assert old_point == new_point


def test_correcting_a_payment_date_changes_the_months_from_the_new_date_on() -> None:
    reported = paid(A, 151, settled_on=date(2026, 6, 1))  # due on 1 January
    corrected = replace(reported, settled_on=date(2026, 4, 1))  # 90 days late: 30 points
    before = [p.value for p in monthly_history([reported], TODAY, months=12)]
    after = [p.value for p in monthly_history([corrected], TODAY, months=12)]
    assert before[:3] == after[:3] == [50, 41, 30]  # January to March: unpaid in both
    assert before[3:] == [20] + [15] * 8
    assert after[3:] == [30] * 9

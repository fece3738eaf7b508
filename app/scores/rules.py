"""Pure rules of the payer score (no I/O): from stored outcomes and a date to a score.

A company's score says how punctually it pays its suppliers, from 0 to 100, computed only from
the outcomes creditors recorded. Each point of it can be traced to an outcome (the explanation
rows), and it is a function of the facts and a date alone: correcting a fact rewrites every
score computed after that fact, the history included, and none before it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise

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


# --- points per outcome -----------------------------------------------------------------------

# (days beyond terms, points): piecewise linear between these, flat beyond both ends. The scale
# is that of payment indexes: 80 for a payment on the due date, 100 for a month early.
POINTS_CURVE: tuple[tuple[int, int], ...] = (
    (-30, 100),
    (-10, 90),
    (0, 80),
    (15, 70),
    (22, 60),
    (30, 50),
    (60, 40),
    (90, 30),
    (120, 20),
    (180, 10),
)
GOOD_PAYER_BONUS = 5  # paid on time after a good-payer reminder: the reminder promised it
REGULARISED_PENALTY = 10  # a published invoice paid after all, for two years after payment
MARK_YEARS = 2  # how long a regularised publication weighs, and the window of recent facts


def points_for(days_beyond_terms: int) -> float:
    """The points of one payment made `days_beyond_terms` after its due date (negative: early)."""
    first_day, first_points = POINTS_CURVE[0]
    if days_beyond_terms <= first_day:
        return float(first_points)
    for (left_day, left_points), (right_day, right_points) in pairwise(POINTS_CURVE):
        if days_beyond_terms <= right_day:
            slope = (right_points - left_points) / (right_day - left_day)
            return left_points + slope * (days_beyond_terms - left_day)
    return float(POINTS_CURVE[-1][1])


# --- weights ------------------------------------------------------------------------------------

HALF_LIFE_DAYS = 365  # an outcome counts half as much a year after its settlement
DECLARED_FACTOR = 0.75  # declared by the creditor only; a payment through our checkout counts 1
PUBLISHED_FACTOR = 3  # an unpaid invoice published after due notice, while it stays unpaid
CREDITOR_SHARE_CAP = 0.5  # of the total weight, for any one creditor when two or more report


def weight(amount_cents: int, age_days: int) -> float:
    """Square root of the amount in euros, halved for every year since settlement."""
    if amount_cents <= 0:
        raise ValueError("an outcome is for a positive amount")
    decay: float = 0.5 ** (max(age_days, 0) / HALF_LIFE_DAYS)
    return math.sqrt(amount_cents / 100) * decay


# --- the facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one invoice that reached its due date says of its debtor (a stored fact).

    `settled_on` is the day the invoice was paid in full (None while unpaid); `published_on`
    the day the unpaid invoice was published on the debtor's page after due notice.
    """

    creditor_id: int
    due_on: date
    amount_cents: int
    settled_on: date | None = None
    is_verified: bool = False  # amount and date come from the platform's checkout
    had_good_reminder: bool = False  # a good-payer reminder went out before the payment
    published_on: date | None = None
    is_related_party: bool = False  # creditor and debtor share a SIREN or a declared group

    def __post_init__(self) -> None:
        if self.amount_cents <= 0:
            raise ValueError("an outcome is for a positive amount")
        if self.published_on is not None:
            if self.published_on < self.due_on:
                raise ValueError("an invoice is published only after its due date")
            if self.settled_on is not None and self.settled_on < self.published_on:
                raise ValueError("a paid invoice is never published")


class RecommendationStatus(StrEnum):
    PENDING = "pending"  # waits for a moderator: neither shown nor counted
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Recommendation:
    """A creditor recommends the company; it counts once that creditor has been paid."""

    creditor_id: int
    given_on: date


class Confidence(StrEnum):
    LOW = "low"  # fewer than 3 outcomes, or a single creditor
    MEDIUM = "medium"
    HIGH = "high"  # 10 outcomes or more from 3 creditors or more in the last two years


LOW_CONFIDENCE_OUTCOMES = 3
HIGH_CONFIDENCE_OUTCOMES = 10
HIGH_CONFIDENCE_CREDITORS = 3
RECOMMENDATION_POINTS = 1
RECOMMENDATIONS_MAX_POINTS = 5
PUBLICATION_CAP = 40  # the most a company with an unpaid published invoice can score


class AmountBand(StrEnum):
    """How an amount is shown in public: never the amount itself."""

    UNDER_1K = "under_1k"
    FROM_1K_TO_10K = "1k_10k"
    FROM_10K_TO_100K = "10k_100k"
    OVER_100K = "over_100k"


def amount_band(amount_cents: int) -> AmountBand:
    euros = amount_cents // 100
    if euros < 1_000:
        return AmountBand.UNDER_1K
    if euros < 10_000:
        return AmountBand.FROM_1K_TO_10K
    if euros < 100_000:
        return AmountBand.FROM_10K_TO_100K
    return AmountBand.OVER_100K


class Publication(StrEnum):
    """Where an outcome stands with publication, on the day of the score."""

    UNPAID = "unpaid"  # published and still unpaid: 0 points, three times the weight
    REGULARISED = "regularised"  # published, then paid: normal points minus 10 for two years


@dataclass(frozen=True)
class Contribution:
    """One row of the public explanation: one outcome as the score counted it."""

    creditor_rank: int  # 0 for the first creditor to report, shown "Créancier A"
    amount_band: AmountBand
    due_on: date
    days_beyond_terms: int
    is_paid: bool
    points: float
    share: float  # of the total weight, after the creditor cap
    is_verified: bool
    has_bonus: bool
    publication: Publication | None


@dataclass(frozen=True)
class Score:
    value: int
    confidence: Confidence
    base_value: int  # the weighted mean of the points, before recommendations and cap
    recommendation_points: int
    is_capped_by_publication: bool
    contributions: tuple[Contribution, ...] = field(default=())

    @property
    def band(self) -> Band:
        return band_for(self.value)

    @property
    def verified_count(self) -> int:
        return sum(1 for row in self.contributions if row.is_verified)

    @property
    def declared_count(self) -> int:
        return len(self.contributions) - self.verified_count

    @property
    def creditor_count(self) -> int:
        return len({row.creditor_rank for row in self.contributions})


# --- the score ----------------------------------------------------------------------------------


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29th that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    return years_before(day, -years)


@dataclass(frozen=True)
class _Counted:
    outcome: Outcome
    settled_on: date | None  # as known on the day of the score
    days_beyond_terms: int
    points: float
    weight: float
    has_bonus: bool
    publication: Publication | None


def _counted(outcome: Outcome, as_of: date) -> _Counted | None:
    """The outcome as it stands on `as_of`, or None when it does not count (yet)."""
    if outcome.is_related_party or outcome.due_on > as_of:
        return None
    settled_on = outcome.settled_on if outcome.settled_on and outcome.settled_on <= as_of else None
    days = ((settled_on or as_of) - outcome.due_on).days
    points = points_for(days)
    has_bonus = settled_on is not None and days <= 0 and outcome.had_good_reminder
    if has_bonus:
        points = min(float(SCORE_MAX), points + GOOD_PAYER_BONUS)
    publication = None
    factor = 1.0 if outcome.is_verified else DECLARED_FACTOR
    if outcome.published_on is not None and outcome.published_on <= as_of:
        if settled_on is None:
            publication, points = Publication.UNPAID, 0.0
            factor *= PUBLISHED_FACTOR
        elif as_of < years_after(settled_on, MARK_YEARS):
            publication = Publication.REGULARISED
            points -= REGULARISED_PENALTY  # never below 0: a payment earns 10 points at least
    age_days = (as_of - settled_on).days if settled_on else 0  # unpaid: no decay
    return _Counted(
        outcome=outcome,
        settled_on=settled_on,
        days_beyond_terms=days,
        points=points,
        weight=weight(outcome.amount_cents, age_days) * factor,
        has_bonus=has_bonus,
        publication=publication,
    )


def _capped_weights(counted: Sequence[_Counted]) -> list[float]:
    """The weights, with a creditor above half of the total scaled down to exactly half."""
    per_creditor: dict[int, float] = defaultdict(float)
    for item in counted:
        per_creditor[item.outcome.creditor_id] += item.weight
    weights = [item.weight for item in counted]
    if len(per_creditor) < 2:
        return weights
    total = sum(per_creditor.values())
    heaviest, heaviest_weight = max(per_creditor.items(), key=lambda pair: pair[1])
    if heaviest_weight <= total * CREDITOR_SHARE_CAP:
        return weights
    others = total - heaviest_weight
    factor = others * CREDITOR_SHARE_CAP / ((1 - CREDITOR_SHARE_CAP) * heaviest_weight)
    return [
        w * factor if item.outcome.creditor_id == heaviest else w
        for w, item in zip(weights, counted, strict=True)
    ]


ROUNDING_TOLERANCE = 1e-9  # a mean of equal points may come out a hair below a half


def _rounded(value: float) -> int:
    """Half up, as people round (Python's round() goes to the even neighbour)."""
    return math.floor(value + 0.5 + ROUNDING_TOLERANCE)


def _recommendation_points(
    recommendations: Iterable[Recommendation], counted: Sequence[_Counted], as_of: date
) -> int:
    """+1 per creditor recommending the company that it paid in the last two years."""
    since = years_before(as_of, MARK_YEARS)
    paid_by = {
        item.outcome.creditor_id
        for item in counted
        if item.settled_on is not None and item.settled_on > since
    }
    recommending = {r.creditor_id for r in recommendations if r.given_on <= as_of}
    return min(RECOMMENDATIONS_MAX_POINTS, RECOMMENDATION_POINTS * len(recommending & paid_by))


def _confidence(counted: Sequence[_Counted], as_of: date) -> Confidence:
    creditors = {item.outcome.creditor_id for item in counted}
    if len(counted) < LOW_CONFIDENCE_OUTCOMES or len(creditors) < 2:
        return Confidence.LOW
    since = years_before(as_of, MARK_YEARS)
    recent = [item for item in counted if (item.settled_on or as_of) > since]
    recent_creditors = {item.outcome.creditor_id for item in recent}
    if len(recent) >= HIGH_CONFIDENCE_OUTCOMES and len(recent_creditors) >= (
        HIGH_CONFIDENCE_CREDITORS
    ):
        return Confidence.HIGH
    return Confidence.MEDIUM


def creditor_ranks(outcomes: Iterable[Outcome]) -> dict[int, int]:
    """Anonymous order of the creditors: by their first due date, then by id."""
    first_due: dict[int, date] = {}
    for outcome in outcomes:
        seen = first_due.get(outcome.creditor_id)
        if seen is None or outcome.due_on < seen:
            first_due[outcome.creditor_id] = outcome.due_on
    order = sorted(first_due, key=lambda creditor: (first_due[creditor], creditor))
    return {creditor: rank for rank, creditor in enumerate(order)}


def creditor_letter(rank: int) -> str:
    """A, B, …, Z, AA, AB, …: the letter a creditor is shown under."""
    if rank < 0:
        raise ValueError("a rank is never negative")
    letters = ""
    rank += 1
    while rank:
        rank, remainder = divmod(rank - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def score(
    outcomes: Sequence[Outcome],
    as_of: date,
    recommendations: Sequence[Recommendation] = (),
) -> Score | None:
    """The company's score on `as_of`, or None when no outcome counts: never a default number."""
    counted = [item for item in (_counted(o, as_of) for o in outcomes) if item is not None]
    if not counted:
        return None
    weights = _capped_weights(counted)
    total = sum(weights)
    base = _rounded(sum(w * item.points for w, item in zip(weights, counted, strict=True)) / total)
    value = base
    bonus = _recommendation_points(recommendations, counted, as_of)
    if value < SCORE_MAX:
        value = min(SCORE_MAX, value + bonus)
    else:
        bonus = 0
    capped = any(item.publication is Publication.UNPAID for item in counted)
    if capped:
        value = min(value, PUBLICATION_CAP)
    ranks = creditor_ranks(item.outcome for item in counted)
    rows = sorted(
        (
            Contribution(
                creditor_rank=ranks[item.outcome.creditor_id],
                amount_band=amount_band(item.outcome.amount_cents),
                due_on=item.outcome.due_on,
                days_beyond_terms=item.days_beyond_terms,
                is_paid=item.settled_on is not None,
                points=item.points,
                share=w / total,
                is_verified=item.outcome.is_verified,
                has_bonus=item.has_bonus,
                publication=item.publication,
            )
            for w, item in zip(weights, counted, strict=True)
        ),
        key=lambda row: (row.due_on, row.creditor_rank),
        reverse=True,
    )
    return Score(
        value=value,
        confidence=_confidence(counted, as_of),
        base_value=base,
        recommendation_points=bonus,
        is_capped_by_publication=capped,
        contributions=tuple(rows),
    )


# --- history ------------------------------------------------------------------------------------

HISTORY_MONTHS = 24


@dataclass(frozen=True)
class HistoryPoint:
    month: date  # the first day of the month
    value: int | None  # the score at the month's end (on `as_of` for the current month)


def month_ends(as_of: date, months: int = HISTORY_MONTHS) -> list[date]:
    """The last day of each of the `months` months up to `as_of`'s, the last one being `as_of`."""
    ends: list[date] = [as_of]
    first = as_of.replace(day=1)
    for _ in range(months - 1):
        end = first - timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return list(reversed(ends))


def monthly_history(
    outcomes: Sequence[Outcome],
    as_of: date,
    recommendations: Sequence[Recommendation] = (),
    months: int = HISTORY_MONTHS,
) -> list[HistoryPoint]:
    """The score at each month end over today's facts: a corrected fact rewrites the past."""
    points = []
    for end in month_ends(as_of, months):
        result = score(outcomes, end, recommendations)
        points.append(
            HistoryPoint(month=end.replace(day=1), value=None if result is None else result.value)
        )
    return points


# --- sector comparison --------------------------------------------------------------------------

SECTOR_MIN_COMPANIES = 5  # fewer scored companies in a division say nothing of its habits


def sector_median(values: Sequence[int]) -> int | None:
    """The median score of a NAF division's companies, or None when too few have one."""
    if len(values) < SECTOR_MIN_COMPANIES:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _rounded((ordered[middle - 1] + ordered[middle]) / 2)

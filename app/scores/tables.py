"""Outcomes reported by creditors, and the score stored for each company from them."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.combination import Combination
from piccolo.table import Table

from app import limits
from app.accounts.tables import Organisation
from app.companies.rules import Diffusion
from app.companies.tables import Company
from app.scores.rules import Confidence, RecommendationStatus


class Outcome(Table):
    """What one invoice that reached its due date says of its debtor (a creditor's fact).

    One per (organisation, reference): reporting the same invoice again updates it.
    """

    id = Serial(primary_key=True)

    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, null=False)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    reference = Varchar(length=limits.INVOICE_REFERENCE)
    due_on = Date()
    amount_cents = BigInt()
    settled_on = Date(null=True, default=None)
    is_verified = Boolean(default=False)
    had_good_reminder = Boolean(default=False)
    published_on = Date(null=True, default=None)
    updated_at = Timestamptz()


class Score(Table):
    """The stored result of the score rules for one company; pages read it, never compute it.

    `computed_changes` is the company's `outcome_changes` the result was computed from, and
    `version` grows with every recomputation, so a page rendered from an older one is stale.
    """

    id = Serial(primary_key=True)

    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, unique=True)
    value = Integer(null=True, default=None)  # None: no outcome counts yet
    confidence = Varchar(length=limits.CONFIDENCE, choices=Confidence, null=True, default=None)
    base_value = Integer(null=True, default=None)
    recommendation_points = Integer(default=0)
    is_capped_by_publication = Boolean(default=False)
    verified_count = Integer(default=0)
    declared_count = Integer(default=0)
    contributions = JSON(default=[])
    history = JSON(default=[])
    computed_changes = Integer(default=0)
    computed_on = Date()
    computed_at = Timestamptz()
    version = Integer(default=1)


def shown_score() -> Combination:
    """The condition, on a Score query, of a value the public sees: there is one, and its
    company is neither a sole trader nor partly masked (they never get a score shown)."""
    return (
        Score.value.is_not_null()
        & (Score.company.diffusion == Diffusion.PUBLIC)
        & (Score.company.is_natural_person == False)  # noqa: E712 (SQL comparison)
    )


class PublicationReply(Table):
    """The debtor's answer to one of its unpaid invoices published on its page (one each)."""

    id = Serial(primary_key=True)

    outcome = ForeignKey(references=Outcome, on_delete=OnDelete.cascade, null=False, unique=True)
    text = Varchar(length=limits.PUBLIC_REPLY)
    written_at = Timestamptz()


class Recommendation(Table):
    """A creditor's recommendation of a company; shown and counted once a moderator approves.

    One per (organisation, company) (raw index migration): a creditor recommends once.
    """

    id = Serial(primary_key=True)

    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, null=False)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    text = Varchar(length=limits.RECOMMENDATION_TEXT)
    experienced_on = Date()  # when the creditor worked with the company
    status = Varchar(
        length=limits.MODERATION_STATUS,
        choices=RecommendationStatus,
        default=RecommendationStatus.PENDING,
    )
    given_at = Timestamptz()


class SectorMedian(Table):
    """The median stored score of the companies of one NAF division, refreshed hourly."""

    id = Serial(primary_key=True)

    division = Varchar(length=limits.NAF_DIVISION, unique=True)
    median = Integer()
    companies = Integer()
    computed_at = Timestamptz()


TABLES: list[type[Table]] = [Outcome, Score, PublicationReply, Recommendation, SectorMedian]

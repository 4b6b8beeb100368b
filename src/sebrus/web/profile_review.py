"""The profile's review sections: the visitor's record as a reviewer, and the owner's tools per dataset.

Reads only; the owner's forms post to ``routes/owner_review.py``. Every figure comes from the review
services (``review_quality``, ``review_votes``, ``review_owner``). A refusal while reading one
dataset (no review contract yet, the node not answering) is shown in that dataset's section instead
of failing the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, User
from sebrus.services import dataset_lists
from sebrus.services.accounts.users import usernames
from sebrus.services.errors import ServiceError
from sebrus.services.review import owner as review_owner
from sebrus.services.review import quality as review_quality
from sebrus.services.review import queries as review_queries
from sebrus.services.review.chain import ReviewChain, addresses_of
from sebrus.services.review.policy import ALLOW_LIST, policy_from_terms, policy_version_text
from sebrus.services.review.pool_health import pool_health
from sebrus.web.forms import FormErrors
from sebrus.web.policy_form import policy_facts

OWNED_SHOWN = 20
BALLOTS_SHOWN = 20
REVIEWERS_SHOWN = 50


@dataclass
class OwnerForm:
    """What an owner typed into one dataset's form, and the refusal to show beside it."""

    dataset_id: int
    values: dict[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


@dataclass
class ReviewerRecord:
    quality: list[tuple[Dataset, review_quality.ReviewerQuality]] = field(default_factory=list)
    ballots: list[review_queries.BallotRecord] = field(default_factory=list)
    waiting_wei: int = 0
    waiting_count: int = 0
    problem: str = ""


@dataclass
class OwnerPanel:
    dataset: Dataset
    problem: str = ""
    review_address: str = ""
    policy_version: str = ""  # policy.policy_version_text: the same words as the CLI
    policy: list[tuple[str, str]] = field(default_factory=list)
    allow_list_applies: bool = False
    voters: list[dict[str, Any]] = field(default_factory=list)
    pool: review_owner.PoolView | None = None
    pool_warning: str | None = None  # the pool covers fewer than LOW_POOL_VOTES more votes
    reviewers: list[review_quality.ReviewerQuality] = field(default_factory=list)
    more_reviewers: int = 0


def reviewer_record(db: Session, chain: ReviewChain, user: User) -> ReviewerRecord:
    mine = addresses_of(user)
    record = ReviewerRecord(
        quality=review_quality.quality_across_datasets(db, mine),
        ballots=review_queries.recent_ballots(db, user, BALLOTS_SHOWN),
    )
    try:
        waiting = review_queries.claims_waiting(db, chain, user)
    except ServiceError as exc:
        record.problem = exc.message
    else:
        record.waiting_wei = sum(w.amount_wei for w in waiting)
        record.waiting_count = len(waiting)
    return record


def owned_datasets(db: Session, user: User) -> tuple[list[Dataset], int]:
    """The owner's newest datasets (at most ``OWNED_SHOWN``) and how many they own in all."""
    return dataset_lists.newest_owned_datasets(db, user, OWNED_SHOWN)


def owner_panel(db: Session, chain: ReviewChain, dataset: Dataset) -> OwnerPanel:
    panel = OwnerPanel(dataset)
    try:
        panel.review_address, policy, _ = review_owner.current_policy(chain, dataset)
        panel.policy_version = policy_version_text(policy.version, policy.effective_from)
        terms = policy_from_terms(policy.terms)
        panel.policy = policy_facts(terms)
        panel.allow_list_applies = terms["voters"] == ALLOW_LIST
        panel.pool = review_owner.pool_view(db, chain, dataset)
        panel.pool_warning = pool_health(chain, dataset).owner_warning()
    except ServiceError as exc:
        panel.problem = exc.message
        return panel
    rows = review_owner.allowed_voters(db, dataset)
    names = usernames(db, [r.user_id for r in rows])
    panel.voters = [
        {"address": r.address, "username": names.get(r.user_id) if r.user_id is not None else None}
        for r in rows
    ]
    reviewers = review_quality.reviewer_quality(db, dataset)
    panel.reviewers = reviewers[:REVIEWERS_SHOWN]
    panel.more_reviewers = max(0, len(reviewers) - REVIEWERS_SHOWN)
    return panel

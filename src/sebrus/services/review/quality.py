"""Reviewer quality per dataset, computed from the indexed ballots, claims and queue serve times.

For each voter (wallet) on a dataset:

- coherence = coherent / decided: of the ballots whose side is known in rounds that decided the
  item, the share that agreed with the final outcome (approve on Approved, reject on Rejected);
- earnings: wei claimed, wei staked, and ``net_wei`` = claimed - stakes of ballots in closed rounds
  (realised: a winning ballot counts as a loss until it is claimed);
- reputation = round(100 * (coherent + 1) / (decided + 2)), halved when flagged. The +1/+2 (Laplace)
  keeps a newcomer at 50 rather than 0 or 100 on one vote;
- flags (each needs ``min_votes`` ballots to say anything):
  ``one-sided``: at least ``one_sided_share`` of the known sides are the same side (the lazy
  reviewer who always approves, or a saboteur who always rejects);
  ``too-fast``: the median time per item viewed is under ``fast_seconds`` (nobody judges an image
  that fast), or more than half the ballots were cast on items the queue never served to that
  reviewer (voting blind, e.g. straight on chain).

Time per item viewed (:func:`seconds_per_item`) follows how people actually review. The queue serves a
page of items at once (a ``ReviewServe`` row each); the reviewer looks, then votes on them one by one,
or on the whole page in one submission (web or CLI, in bulk on purpose). Both spend the same time per
image: the sitting's time, from the page being served to the last vote on it, shared by the items
voted on in it. Timing each ballot on its own would misjudge both: from the serve, a reviewer who waits
ten seconds and then clicks through twenty images in two counts as careful; between votes, every
ballot of a bulk submission but the first counts as instant.

These are the seed's "anomaly detection on labeling behavior" signals: cheap, explainable, and a
prompt for the owner to look (an allow-list owner may then remove the voter), not a verdict.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, ReviewClaim, ReviewServe, ReviewVote
from sebrus.services.accounts.users import usernames

FAST_SECONDS = 2.0  # per item viewed: a glance at one image of a page takes a second or two
MIN_VOTES = 5
ONE_SIDED_SHARE = 0.95
DATASETS_SHOWN = 50


@dataclass
class ReviewerQuality:
    voter_address: str
    user_id: int | None = None
    username: str | None = None
    votes: int = 0
    approvals: int = 0
    rejections: int = 0
    unrevealed: int = 0
    decided: int = 0
    coherent: int = 0
    staked_wei: int = 0
    claimed_wei: int = 0
    closed_stake_wei: int = 0
    timed: list[float] = field(default_factory=list)  # seconds per item viewed, one per served ballot
    unserved: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def coherence(self) -> float | None:
        return self.coherent / self.decided if self.decided else None

    @property
    def approve_share(self) -> float | None:
        sided = self.approvals + self.rejections
        return self.approvals / sided if sided else None

    @property
    def median_seconds_to_vote(self) -> float | None:
        """The median time per item viewed (the API's name for it predates the per-item measure)."""
        return median(self.timed) if self.timed else None

    @property
    def net_wei(self) -> int:
        return self.claimed_wei - self.closed_stake_wei

    @property
    def reputation(self) -> int:
        score = 100 * (self.coherent + 1) / (self.decided + 2)
        return round(score / 2 if self.flags else score)


def reviewer_quality(
    db: Session,
    dataset: Dataset,
    *,
    voters: Collection[str] | None = None,
    fast_seconds: float = FAST_SECONDS,
    min_votes: int = MIN_VOTES,
    one_sided_share: float = ONE_SIDED_SHARE,
) -> list[ReviewerQuality]:
    """Every voter on the dataset (or only the wallets in ``voters``), best reputation first.

    Each voter's figures depend only on their own ballots, so narrowing to ``voters`` reads less and
    gives the same numbers as the full list."""
    vote_stmt = select(ReviewVote).where(ReviewVote.dataset_id == dataset.id)
    claim_stmt = select(ReviewClaim).where(ReviewClaim.dataset_id == dataset.id)
    if voters is not None:
        vote_stmt = vote_stmt.where(ReviewVote.voter_address.in_(list(voters)))
        claim_stmt = claim_stmt.where(ReviewClaim.voter_address.in_(list(voters)))
    votes = list(db.scalars(vote_stmt))
    status_stmt = select(Item.id, Item.status).where(Item.dataset_id == dataset.id)
    serve_stmt = select(ReviewServe).where(ReviewServe.dataset_id == dataset.id)
    if voters is not None:
        status_stmt = status_stmt.where(Item.id.in_({v.item_id for v in votes if v.item_id is not None}))
        serve_stmt = serve_stmt.where(
            ReviewServe.user_id.in_({v.voter_user_id for v in votes if v.voter_user_id is not None})
        )
    statuses = {row[0]: row[1] for row in db.execute(status_stmt)}
    serves: dict[tuple[int | None, int | None], datetime] = {
        (s.item_id, s.user_id): s.served_at for s in db.scalars(serve_stmt)
    }
    claims = db.scalars(claim_stmt)
    found: dict[str, ReviewerQuality] = {}
    paces: dict[str, list[tuple[datetime, datetime]]] = {}  # per voter: (cast, served) of served ballots

    def of(address: str, user_id: int | None) -> ReviewerQuality:
        entry = found.get(address)
        if entry is None:
            entry = found[address] = ReviewerQuality(address, user_id)
        return entry

    for vote in votes:
        entry = of(vote.voter_address, vote.voter_user_id)
        entry.votes += 1
        entry.staked_wei += int(vote.stake_wei)
        if vote.round_state != "open":
            entry.closed_stake_wei += int(vote.stake_wei)
        if vote.side is None:
            entry.unrevealed += 1
        elif vote.side == "approve":
            entry.approvals += 1
        else:
            entry.rejections += 1
        status = statuses.get(vote.item_id) if vote.item_id is not None else None
        if (
            vote.side is not None
            and vote.round_state == "resolved"
            and status
            in (
                ItemStatus.APPROVED,
                ItemStatus.REJECTED,
            )
        ):
            entry.decided += 1
            entry.coherent += (vote.side == "approve") == (status is ItemStatus.APPROVED)
        served = serves.get((vote.item_id, vote.voter_user_id)) if vote.voter_user_id is not None else None
        if served is None:
            entry.unserved += 1
        else:
            paces.setdefault(vote.voter_address, []).append((vote.cast_at, served))
    for address, ballots in paces.items():
        found[address].timed = seconds_per_item(ballots)
    for claim in claims:
        of(claim.voter_address, claim.voter_user_id).claimed_wei += int(claim.amount_wei)
    names = usernames(db, {e.user_id for e in found.values() if e.user_id is not None})
    for entry in found.values():
        entry.username = names.get(entry.user_id) if entry.user_id is not None else None
        entry.flags = _flags(entry, fast_seconds, min_votes, one_sided_share)
    return sorted(found.values(), key=lambda e: (-e.reputation, -e.votes, e.voter_address))


def quality_across_datasets(
    db: Session, voters: Collection[str], limit: int = DATASETS_SHOWN
) -> list[tuple[Dataset, ReviewerQuality]]:
    """The wallets' quality on each dataset they voted on, most recently voted first.

    For one person's profile: only the datasets holding their ballots are read, and within each only
    their own ballots, claims and serves, so the cost follows their activity, not the platform's."""
    if not voters:
        return []
    latest = func.max(ReviewVote.id)
    rows = db.execute(
        select(ReviewVote.dataset_id, latest)
        .where(ReviewVote.voter_address.in_(list(voters)))
        .group_by(ReviewVote.dataset_id)
        .order_by(latest.desc())
        .limit(limit)
    ).all()
    found: list[tuple[Dataset, ReviewerQuality]] = []
    for dataset_id, _ in rows:
        dataset = db.get(Dataset, dataset_id)
        if dataset is None:
            continue
        found.extend((dataset, entry) for entry in reviewer_quality(db, dataset, voters=voters))
    return found


def seconds_per_item(ballots: Sequence[tuple[datetime, datetime]]) -> list[float]:
    """Time per item viewed for each of one reviewer's served ballots, given as (cast, served) pairs.

    Ballots are taken in the order they were cast and split into sittings: a ballot whose item was
    served after the previous ballot was cast starts a new one (the reviewer fetched another page).
    A sitting lasts from the first serve of its items (not before the previous sitting ended) to its
    last ballot, and each of its ballots gets that time divided by the ballots in it. So a page voted on
    in one bulk submission, and the same page voted on item by item in the same time, read the same.
    """
    figures: list[float] = []
    sitting: list[tuple[datetime, datetime]] = []
    previous_end: datetime | None = None

    def close() -> None:
        start = min(served for _, served in sitting)
        if previous_end is not None and previous_end > start:
            start = previous_end
        span = max(0.0, (sitting[-1][0] - start).total_seconds())
        figures.extend([span / len(sitting)] * len(sitting))

    for cast, served in sorted(ballots):
        if sitting and served > sitting[-1][0]:
            close()
            previous_end = sitting[-1][0]
            sitting = []
        sitting.append((cast, served))
    if sitting:
        close()
    return figures


def _flags(entry: ReviewerQuality, fast_seconds: float, min_votes: int, one_sided_share: float) -> list[str]:
    flags: list[str] = []
    sided = entry.approvals + entry.rejections
    if sided >= min_votes and max(entry.approvals, entry.rejections) >= one_sided_share * sided:
        flags.append("one-sided")
    if entry.votes >= min_votes:
        fast = len(entry.timed) >= min_votes and median(entry.timed) < fast_seconds
        if fast or entry.unserved * 2 > entry.votes:
            flags.append("too-fast")
    return flags

"""What a release's manifest says about each item beyond its hash and label: its votes and suspicion.

People training from a release want to weigh items by how clearly they were judged, so every export
carries, per item, the revealed ballots on it (every round, by side) and the suspicion of the newest
finished scan that scored it. Released items are decided, so the review's blindness rule (ballots are
hidden until the item is decided) no longer applies.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import ReviewVote, Scan, ScanResult, ScanState

SIDES = ("approve", "reject")


@dataclass(frozen=True)
class ItemEvidence:
    votes: dict[str, int]  # revealed ballots by side; an owner's direct resolution has none
    suspicion: float | None  # None: no finished scan scored the item


def release_item_evidence(db: Session, item_ids: Collection[int]) -> dict[int, ItemEvidence]:
    """Evidence for each of ``item_ids`` (a page of a release: two queries, whatever its size)."""
    if not item_ids:
        return {}
    ids = list(item_ids)
    votes: dict[int, dict[str, int]] = {i: dict.fromkeys(SIDES, 0) for i in ids}
    for item_id, side, count in db.execute(
        select(ReviewVote.item_id, ReviewVote.side, func.count())
        .where(ReviewVote.item_id.in_(ids), ReviewVote.side.in_(SIDES))
        .group_by(ReviewVote.item_id, ReviewVote.side)
    ):
        if item_id is not None and side is not None:  # the query's filter already guarantees both
            votes[item_id][side] = count
    newest = (
        select(ScanResult.item_id, func.max(ScanResult.scan_id).label("scan_id"))
        .join(Scan, Scan.id == ScanResult.scan_id)
        .where(ScanResult.item_id.in_(ids), Scan.state == ScanState.DONE)
        .group_by(ScanResult.item_id)
        .subquery()
    )
    suspicion = {
        item_id: score
        for item_id, score in db.execute(
            select(ScanResult.item_id, ScanResult.suspicion).join(
                newest,
                (newest.c.item_id == ScanResult.item_id) & (newest.c.scan_id == ScanResult.scan_id),
            )
        ).tuples()
    }
    return {i: ItemEvidence(votes[i], suspicion.get(i)) for i in ids}

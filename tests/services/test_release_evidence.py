"""A release's manifest carries each item's revealed ballots and its latest finished scan's suspicion."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, ReviewVote, Scan, ScanResult, ScanState
from sebrus.services.release_evidence import release_item_evidence

WALLET = "0x" + "c1" * 20


def _item(db: Session, dataset: Dataset, n: int) -> Item:
    item = Item(
        dataset_id=dataset.id,
        content_hash=f"{n:064x}",
        label="cat",
        label_index=0,
        contributor_address=WALLET,
        status=ItemStatus.APPROVED,
        size=10,
    )
    db.add(item)
    db.flush()
    return item


def _ballot(db: Session, item: Item, voter: int, side: str | None, round_: int = 1) -> None:
    db.add(
        ReviewVote(
            dataset_id=item.dataset_id,
            item_id=item.id,
            content_hash=item.content_hash,
            round=round_,
            voter_address="0x" + f"{voter:040x}",
            side=side,
            stake_wei="1",
            tx_hash="0x" + "ab" * 32,
            block_number=1,
            log_index=voter,
        )
    )


def _scored(db: Session, dataset: Dataset, state: ScanState, scores: dict[Item, float]) -> None:
    scan = Scan(dataset_id=dataset.id, state=state)
    db.add(scan)
    db.flush()
    for item, score in scores.items():
        db.add(ScanResult(scan_id=scan.id, item_id=item.id, content_hash=item.content_hash, suspicion=score))


def test_votes_by_side_and_the_newest_finished_scans_suspicion(db: Session) -> None:
    dataset = Dataset(address="0x" + "d5" * 20, name="pets", labels=["cat", "dog"])
    db.add(dataset)
    db.flush()
    voted, direct, unscanned = (_item(db, dataset, n) for n in (1, 2, 3))
    _ballot(db, voted, 1, "approve")
    _ballot(db, voted, 2, "approve", round_=2)
    _ballot(db, voted, 3, "reject")
    _ballot(db, voted, 4, None)  # committed, never revealed: no side to count
    _scored(db, dataset, ScanState.DONE, {voted: 0.9, direct: 0.4})
    _scored(db, dataset, ScanState.DONE, {voted: 0.2})
    _scored(db, dataset, ScanState.FAILED, {voted: 0.99, direct: 0.99})  # never finished: not evidence
    db.commit()

    evidence = release_item_evidence(db, [voted.id, direct.id, unscanned.id])

    assert evidence[voted.id].votes == {"approve": 2, "reject": 1}
    assert evidence[voted.id].suspicion == 0.2
    assert evidence[direct.id].votes == {"approve": 0, "reject": 0}
    assert evidence[direct.id].suspicion == 0.4
    assert evidence[unscanned.id].suspicion is None
    assert release_item_evidence(db, []) == {}

"""The dashboard's summaries: owner and items per status for each dataset, matching the search."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, User
from sebrus.services.browse import StatusCounts, search_summaries
from sebrus.services.pagination import PageRequest


def test_summaries_carry_owner_and_counts_per_status(db: Session) -> None:
    alice = User(username="Alice", username_key="alice", password_hash="x")
    db.add(alice)
    db.flush()
    cats = Dataset(name="Cats", description="", address="0x" + "01" * 20, owner_id=alice.id, labels=["a"])
    dogs = Dataset(name="dogs", description="no cats here", address="0x" + "02" * 20, labels=["a"])
    cows = Dataset(name="cows", description="", address="0x" + "03" * 20, owner_id=alice.id, labels=["a"])
    db.add_all([cats, dogs, cows])
    db.flush()
    statuses = [ItemStatus.PENDING] * 3 + [ItemStatus.APPROVED] * 2 + [ItemStatus.QUARANTINED]
    db.add_all(
        Item(
            dataset_id=cats.id,
            content_hash=f"{n:064x}",
            label="a",
            label_index=0,
            status=status,
            contributor_address="0x" + "ab" * 20,
            size=1,
        )
        for n, status in enumerate(statuses)
    )
    db.add(
        Item(
            dataset_id=dogs.id,
            content_hash=f"{99:064x}",
            label="a",
            label_index=0,
            status=ItemStatus.REJECTED,
            contributor_address="0x" + "ab" * 20,
            size=1,
        )
    )
    db.commit()

    found = search_summaries(db, "CAT", PageRequest(limit=10))
    assert found.total == 2
    assert [(s.dataset.name, s.owner, s.counts) for s in found.items] == [
        ("Cats", "Alice", StatusCounts(pending=3, quarantined=1, approved=2, rejected=0)),
        ("dogs", None, StatusCounts(rejected=1)),
    ]
    second = search_summaries(db, "", PageRequest(limit=2, offset=2))
    assert second.total == 3
    assert [(s.dataset.name, s.counts.total) for s in second.items] == [("cows", 0)]

"""Which of a page of contributions still wait for their contributor's review deposit, from the index.

Lists flag these so a contributor notices that nobody can vote on such an item until they pay; the
item's page reads the exact state from the chain and carries the button. One query for the whole
list, no chain call per row, so the flag is an index-side approximation: it uses the dataset's
current policy (the contract judges an item by the policy in force when it was submitted) and the
``DepositPaid`` events the indexer has applied so far.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, ReviewTransfer

OPEN_STATUSES = (ItemStatus.PENDING, ItemStatus.QUARANTINED)


def deposits_due(db: Session, items: Sequence[Item]) -> set[int]:
    """The ids of the open items among ``items`` whose dataset asks a deposit that has not been paid."""
    ids = [i.id for i in items if i.status in OPEN_STATUSES]
    if not ids:
        return set()
    paid = and_(
        ReviewTransfer.dataset_id == Item.dataset_id,
        ReviewTransfer.content_hash == Item.content_hash,
        ReviewTransfer.kind == "deposit",
    )
    rows = db.execute(
        select(Item.id, Dataset.review_policy)
        .join(Dataset, Dataset.id == Item.dataset_id)
        .outerjoin(ReviewTransfer, paid)
        .where(Item.id.in_(ids), ReviewTransfer.id.is_(None))
    )
    return {item_id for item_id, policy in rows if _asks_deposit(policy)}


def _asks_deposit(policy: object) -> bool:
    if not isinstance(policy, dict):
        return False
    try:
        return int(policy.get("deposit_wei") or 0) > 0
    except (TypeError, ValueError):
        return False

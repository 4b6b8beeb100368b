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
from sebrus.primitives import format_eth

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
    return deposit_asked(policy) > 0


def deposit_asked(policy: object) -> int:
    """The deposit per item (wei) a dataset's recorded review policy asks; 0 when none."""
    if not isinstance(policy, dict):
        return 0
    try:
        return max(0, int(policy.get("deposit_wei") or 0))
    except (TypeError, ValueError):
        return 0


def upload_notice(dataset: Dataset, items: int) -> tuple[int, str] | None:
    """What an upload's answer says when the dataset asks a deposit: (wei per item, the sentence), or
    None. An upload is the moment a contributor learns it: nobody can vote on the item until they pay."""
    amount = deposit_asked(dataset.review_policy)
    if amount == 0 or items == 0:
        return None
    each = format_eth(amount)
    these = "this item" if items == 1 else f"these {items} items"
    ways = (
        f"POST /api/dataset/{dataset.id}/review/deposits, `sebrus review deposit {dataset.id} --all`, "
        "or the button on your profile"
    )
    return amount, (
        f"This dataset asks a review deposit of {each} per item: nobody can vote on {these} until you pay "
        "(refunded when an item is approved, forfeited when it is rejected). Pay all that is due at once "
        f"with {ways}."
    )

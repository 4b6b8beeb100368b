"""Looking up a dataset's items in the index: a filtered page, one by hash, and what became of an upload."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, OutboxEntry, User
from sebrus.services.pagination import Page, PageRequest, fetch_page
from sebrus.services.review.blindness import DECIDED, sees_contributions_of


def list_items(
    db: Session,
    dataset: Dataset,
    page: PageRequest,
    *,
    status: ItemStatus | None = None,
    contributor: str | None = None,
    label: str | None = None,
    sha_prefix: str | None = None,
    viewer: User | None = None,
) -> Page[Item]:
    """The dataset's items in upload order; each filter given (even empty) must match exactly.

    Filtering by ``contributor`` would reveal who contributed undecided items, so for a ``viewer`` who
    is neither the dataset's owner nor that contributor it matches decided items only (blind review:
    ``services/review/blindness.py``).

    ``contributor`` is a wallet address, compared case-insensitively. ``sha_prefix`` keeps the items
    whose sha256 starts with these hex digits (either case): how a person names an item by the few
    characters a table shows, and how a client tells a unique prefix from an ambiguous one.
    """
    query = select(Item).where(Item.dataset_id == dataset.id)
    if sha_prefix is not None:
        query = query.where(Item.content_hash.startswith(sha_prefix.lower(), autoescape=True))
    if status is not None:
        query = query.where(Item.status == status)
    if contributor is not None:
        query = query.where(func.lower(Item.contributor_address) == contributor.lower())
        if not sees_contributions_of(dataset, viewer, contributor):
            query = query.where(Item.status.in_(DECIDED))
    if label is not None:
        query = query.where(Item.label == label)
    return fetch_page(db, query, page, Item.id)


def item_by_hash(db: Session, dataset_id: int, content_hash: str) -> Item | None:
    return db.scalar(select(Item).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash))


def upload_outcome(db: Session, dataset_id: int, content_hash: str) -> tuple[Item | None, OutboxEntry | None]:
    """The indexed item (None until the indexer has seen it) and the upload's outbox entry, if any."""
    entry = db.scalar(
        select(OutboxEntry).where(
            OutboxEntry.dataset_id == dataset_id, OutboxEntry.content_hash == content_hash
        )
    )
    return item_by_hash(db, dataset_id, content_hash), entry


def item_ids(db: Session, dataset: Dataset, content_hashes: Sequence[str]) -> dict[str, int]:
    """The ids of the dataset's items among these hashes, by hash (hashes not indexed are left out)."""
    if not content_hashes:
        return {}
    rows = db.execute(
        select(Item.content_hash, Item.id).where(
            Item.dataset_id == dataset.id, Item.content_hash.in_(list(content_hashes))
        )
    )
    return {content_hash: item_id for content_hash, item_id in rows}

"""Read-only views over the index for people browsing it: search, counts by status, one's own uploads.

The web pages need aggregates (items per status for many datasets at once, a contributor's
outcomes) that the REST routers do not; keeping the queries here lets the pages stay thin and
keeps SQL out of the face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, OutboxEntry, OutboxState, User
from sebrus.services.pagination import Page, PageRequest
from sebrus.services.review.blindness import DECIDED, sees_contributions_of

MAX_QUERY = 128


@dataclass(frozen=True)
class StatusCounts:
    pending: int = 0
    quarantined: int = 0
    approved: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.quarantined + self.approved + self.rejected

    def of(self, status: ItemStatus) -> int:
        count: int = getattr(self, status.value)
        return count


@dataclass(frozen=True)
class ItemFilter:
    status: ItemStatus | None = None
    label: str | None = None
    contributor: str | None = None  # a wallet address, compared case-insensitively


@dataclass(frozen=True)
class QueuedContribution:
    """An upload that was acknowledged but is not (yet) an item: waiting for the relayer, or failed."""

    entry: OutboxEntry
    dataset: Dataset
    label: str


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_datasets(db: Session, query: str, page: PageRequest) -> Page[Dataset]:
    """Datasets whose name or description contains ``query`` (case-insensitive); all of them for ''."""
    stmt = select(Dataset)
    text = query.strip()[:MAX_QUERY]
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Dataset.name).like(pattern, escape="\\"),
                func.lower(Dataset.description).like(pattern, escape="\\"),
            )
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Dataset.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


def status_counts(db: Session, dataset_ids: Sequence[int]) -> dict[int, StatusCounts]:
    """Items per status for each dataset, in one grouped query; datasets without items count zero."""
    found: dict[int, dict[str, int]] = {dataset_id: {} for dataset_id in dataset_ids}
    if dataset_ids:
        rows = db.execute(
            select(Item.dataset_id, Item.status, func.count())
            .where(Item.dataset_id.in_(list(dataset_ids)))
            .group_by(Item.dataset_id, Item.status)
        )
        for dataset_id, status, count in rows:
            found[dataset_id][ItemStatus(status).value] = count
    return {dataset_id: StatusCounts(**counts) for dataset_id, counts in found.items()}


def _filtered(stmt: Select[Item], wanted: ItemFilter, dataset: Dataset, viewer: User | None) -> Select[Item]:
    if wanted.status is not None:
        stmt = stmt.where(Item.status == wanted.status)
    if wanted.label:
        stmt = stmt.where(Item.label == wanted.label)
    if wanted.contributor:
        stmt = stmt.where(func.lower(Item.contributor_address) == wanted.contributor.lower())
        if not sees_contributions_of(dataset, viewer, wanted.contributor):
            stmt = stmt.where(Item.status.in_(DECIDED))  # blind review: see services/review/blindness.py
    return stmt


def dataset_items(
    db: Session, dataset: Dataset, wanted: ItemFilter, page: PageRequest, viewer: User | None = None
) -> Page[Item]:
    """A page of the dataset's items; a filter by contributor shows ``viewer`` only what blind review
    lets them see."""
    stmt = _filtered(select(Item).where(Item.dataset_id == dataset.id), wanted, dataset, viewer)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Item.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


def contributions_of(db: Session, user: User, page: PageRequest) -> Page[Item]:
    stmt = select(Item).where(Item.contributor_user_id == user.id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Item.id.desc()).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


def outcomes_of(db: Session, user: User) -> StatusCounts:
    rows = db.execute(
        select(Item.status, func.count()).where(Item.contributor_user_id == user.id).group_by(Item.status)
    )
    return StatusCounts(**{ItemStatus(status).value: count for status, count in rows})


def queued_contributions(db: Session, addresses: Sequence[str], limit: int = 50) -> list[QueuedContribution]:
    """Acknowledged uploads from these wallets that have not become their items: still queued, failed,
    or taken (another wallet anchored the same image first, so an item exists but is not theirs)."""
    if not addresses:
        return []
    indexed = select(Item.id).where(
        Item.dataset_id == OutboxEntry.dataset_id, Item.content_hash == OutboxEntry.content_hash
    )
    rows = db.execute(
        select(OutboxEntry, Dataset)
        .join(Dataset, Dataset.id == OutboxEntry.dataset_id)
        .where(
            OutboxEntry.contributor_address.in_(list(addresses)),
            or_(
                (OutboxEntry.state != OutboxState.CONFIRMED) & ~indexed.exists(),
                OutboxEntry.state == OutboxState.TAKEN,
            ),
        )
        .order_by(OutboxEntry.id.desc())
        .limit(limit)
    )
    queued = []
    for entry, dataset in rows:
        labels = dataset.labels
        label = labels[entry.label_index] if 0 <= entry.label_index < len(labels) else "?"
        queued.append(QueuedContribution(entry=entry, dataset=dataset, label=label))
    return queued


def owned_datasets(db: Session, user: User) -> list[Dataset]:
    return list(db.scalars(select(Dataset).where(Dataset.owner_id == user.id).order_by(Dataset.id)))


def totals(db: Session) -> tuple[int, int]:
    """How many datasets and items the index holds, for the home page."""
    datasets = db.scalar(select(func.count()).select_from(Dataset)) or 0
    items = db.scalar(select(func.count()).select_from(Item)) or 0
    return datasets, items


def dataset_choices(db: Session, limit: int = 500) -> list[Dataset]:
    """Datasets to offer in a dropdown, newest first."""
    return list(db.scalars(select(Dataset).order_by(Dataset.id.desc()).limit(limit)))


def dataset_names(db: Session, dataset_ids: Sequence[int]) -> dict[int, str]:
    ids = sorted(set(dataset_ids))
    if not ids:
        return {}
    rows = db.execute(select(Dataset.id, Dataset.name).where(Dataset.id.in_(ids)))
    return {dataset_id: name for dataset_id, name in rows}

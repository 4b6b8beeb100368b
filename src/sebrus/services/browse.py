"""Read-only views over the index for people browsing it: search, counts by status, one's own uploads.

The web pages need aggregates (items per status for many datasets at once, a contributor's
outcomes) that the REST routers do not; keeping the queries here lets the pages stay thin and
keeps SQL out of the face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, Select, func, or_, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, ItemStatus, OutboxEntry, OutboxState, User
from sebrus.services.pagination import AnySelect, Page, PageRequest, fetch_page, fetch_page_rows
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
class DatasetSummary:
    """A dataset as the dashboard lists it: with its owner's name and its items per status."""

    dataset: Dataset
    owner: str | None
    counts: StatusCounts


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


def _matching(stmt: AnySelect, query: str) -> AnySelect:
    text = query.strip()[:MAX_QUERY]
    if not text:
        return stmt
    pattern = f"%{_escape_like(text.lower())}%"
    return stmt.where(
        or_(
            func.lower(Dataset.name).like(pattern, escape="\\"),
            func.lower(Dataset.description).like(pattern, escape="\\"),
        )
    )


def search_datasets(db: Session, query: str, page: PageRequest) -> Page[Dataset]:
    """Datasets whose name or description contains ``query`` (case-insensitive); all of them for ''."""
    matching: Select[Dataset] = _matching(select(Dataset), query)
    return fetch_page(db, matching, page, Dataset.id)


def _items_with_status(status: ItemStatus) -> ScalarSelect[int]:
    return (
        select(func.count())
        .where(Item.dataset_id == Dataset.id, Item.status == status)
        .correlate(Dataset)
        .scalar_subquery()
    )


def search_summaries(db: Session, query: str, page: PageRequest) -> Page[DatasetSummary]:
    """``search_datasets`` with each dataset's owner and items per status, for the dashboard.

    One statement: the owner is joined and each status is counted by a subquery per row (over the
    ``dataset_id, status`` index), so the page costs the same however many datasets it shows.
    """
    statuses = list(ItemStatus)
    columns = select(Dataset, User.username, *(_items_with_status(s) for s in statuses)).outerjoin(
        User, User.id == Dataset.owner_id
    )
    rows, total = fetch_page_rows(
        db, _matching(columns, query), _matching(select(Dataset.id), query), page, Dataset.id
    )
    summaries = [
        DatasetSummary(
            dataset=row[0],
            owner=row[1],
            counts=StatusCounts(**{s.value: int(n) for s, n in zip(statuses, row[2:], strict=True)}),
        )
        for row in rows
    ]
    return Page(items=summaries, total=total, limit=page.limit, offset=page.offset)


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
    return fetch_page(db, stmt, page, Item.id)


def contributions_of(db: Session, user: User, page: PageRequest) -> Page[Item]:
    stmt = select(Item).where(Item.contributor_user_id == user.id)
    return fetch_page(db, stmt, page, Item.id.desc())


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

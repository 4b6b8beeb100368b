"""Blobs nothing refers to: what a crash between storing bytes and committing their row leaves.

An upload stores its blob before it commits the outbox row that acknowledges it (so an acknowledged
upload always has its bytes); a ``kill -9`` in between leaves bytes no row names. They are harmless
(never served: every read goes through a row) but they are the operator's disk, so the audit lists
them. They are reported, never deleted here: an upload that is storing its blob at this moment looks
the same until its row commits, so deciding to delete is the operator's, after a second look.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, DatasetSeed, Federation, Item, OutboxEntry, Scan

MAX_LISTED = 100


def referencing_columns() -> list[Select[tuple[str | None]]]:
    """Every column that names a blob by its sha256: items, outbox entries, seeds, models (scan and
    federated), reports."""
    return [
        select(Item.content_hash),
        select(OutboxEntry.content_hash),
        select(DatasetSeed.content_hash),
        select(Dataset.scan_model_sha256),
        select(Scan.model_sha256),
        select(Scan.report_sha256),
        select(Scan.report_html_sha256),
        select(Federation.model_sha256),
    ]


def orphan_blobs(db: Session, blobs: BlobStore) -> list[str]:
    """Keys of stored blobs that no row references, sorted. The keys are listed before the rows are
    read, so a blob whose row commits in between is not reported."""
    stored = set(blobs.iter_keys())
    if not stored:
        return []
    referenced: set[str] = set()
    for query in referencing_columns():
        referenced.update(_keys(db.scalars(query)))
    return sorted(stored - referenced)


def _keys(values: Iterable[str | None]) -> Iterable[str]:
    return (value.lower() for value in values if value)

"""Blobs refused while being served because their bytes no longer hash to their key.

The image endpoint re-hashes every blob it serves (``http/caching.py``); a mismatch means the store
was tampered with or decayed, which is exactly what the audit exists to catch. Each refusal is
written to the append-only audit log under the dataset (so it outlives a later repair of the blob and
shows in the audit-log export), and the dataset audit lists the refusals beside its own findings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sebrus.db.models import AuditLogEntry
from sebrus.services import audit_log

READ_MISMATCH_ACTION = "blob.read_mismatch"
MAX_LISTED = 100

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadMismatch:
    """One refused read: ``found`` is the hash the bytes had, None when the stream was cut early."""

    content_hash: str
    found: str | None
    at: datetime


def record_read_mismatch(
    sessions: sessionmaker[Session], dataset_id: int, content_hash: str, found: str | None
) -> None:
    """Log and record one refusal in its own transaction: the request's session may be gone by the time
    a streamed blob reaches its end."""
    log.error(
        "refused to serve blob %s of dataset %d: its bytes hash to %s",
        content_hash,
        dataset_id,
        found or "something else (longer than recorded)",
    )
    with sessions() as db:
        audit_log.record(
            db,
            READ_MISMATCH_ACTION,
            f"dataset:{dataset_id}",
            details={"content_hash": content_hash, "found": found},
        )
        db.commit()


def read_mismatches(db: Session, dataset_id: int, *, limit: int = MAX_LISTED) -> list[ReadMismatch]:
    """The dataset's latest refused reads, newest first."""
    entries = db.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.action == READ_MISMATCH_ACTION, AuditLogEntry.subject == f"dataset:{dataset_id}")
        .order_by(AuditLogEntry.id.desc())
        .limit(limit)
    )
    return [
        ReadMismatch(str(e.details.get("content_hash", "")), e.details.get("found"), e.at) for e in entries
    ]


def count_read_mismatches(db: Session, dataset_id: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(AuditLogEntry)
            .where(
                AuditLogEntry.action == READ_MISMATCH_ACTION,
                AuditLogEntry.subject == f"dataset:{dataset_id}",
            )
        )
        or 0
    )

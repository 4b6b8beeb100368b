"""Past runs of the dataset audit, read back from the append-only audit log.

Every audit run writes one ``dataset.audit`` entry (``services/audit/consistency.py``); the Audit pages show
when each dataset was last proven to agree with the chain and its blobs, and who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import AuditLogEntry

AUDIT_ACTION = "dataset.audit"


@dataclass(frozen=True)
class AuditRun:
    dataset_id: int
    at: datetime
    actor_user_id: int | None
    ok: bool
    findings: int


def _subject(dataset_id: int) -> str:
    return f"dataset:{dataset_id}"


def _run(dataset_id: int, entry: AuditLogEntry) -> AuditRun:
    details = entry.details or {}
    return AuditRun(
        dataset_id=dataset_id,
        at=entry.at,
        actor_user_id=entry.actor_user_id,
        ok=bool(details.get("ok")),
        findings=int(details.get("findings", 0)),
    )


def audit_runs(db: Session, dataset_id: int, limit: int = 10) -> list[AuditRun]:
    """The dataset's latest audit runs, newest first."""
    entries = db.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.action == AUDIT_ACTION, AuditLogEntry.subject == _subject(dataset_id))
        .order_by(AuditLogEntry.id.desc())
        .limit(limit)
    )
    return [_run(dataset_id, e) for e in entries]


def last_audit_runs(db: Session, dataset_ids: Sequence[int]) -> dict[int, AuditRun]:
    """Each dataset's latest audit run; datasets never audited are left out. Two queries for any number."""
    subjects = {_subject(i): i for i in set(dataset_ids)}
    if not subjects:
        return {}
    latest = (
        select(func.max(AuditLogEntry.id))
        .where(AuditLogEntry.action == AUDIT_ACTION, AuditLogEntry.subject.in_(subjects))
        .group_by(AuditLogEntry.subject)
    )
    entries = db.scalars(select(AuditLogEntry).where(AuditLogEntry.id.in_(latest)))
    return {subjects[e.subject]: _run(subjects[e.subject], e) for e in entries}

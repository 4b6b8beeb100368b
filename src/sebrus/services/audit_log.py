"""Writes to the append-only audit log.

The entry joins the caller's transaction, so it is committed with the change it records or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sebrus.db.models import AuditLogEntry


def record(
    db: Session,
    action: str,
    subject: str,
    *,
    actor_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    entry = AuditLogEntry(action=action, subject=subject, actor_user_id=actor_user_id, details=details or {})
    db.add(entry)
    return entry

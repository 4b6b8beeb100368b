from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from sebrus.db.engine import make_engine, make_session_factory
from sebrus.db.models import AuditLogEntry
from sebrus.testing.databases import empty_postgres_tables


def _add_entry(db) -> int:
    entry = AuditLogEntry(action="user.create", subject="user:1", actor_user_id=1, details={"k": "v"})
    db.add(entry)
    db.commit()
    return entry.id


def test_insert_and_read_back(db):
    entry_id = _add_entry(db)
    row = db.get(AuditLogEntry, entry_id)
    assert row is not None and row.details == {"k": "v"} and row.at.tzinfo is not None


def test_update_is_refused_by_the_database(db):
    entry_id = _add_entry(db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(update(AuditLogEntry).where(AuditLogEntry.id == entry_id).values(action="forged"))
        db.commit()
    db.rollback()
    assert db.scalar(select(AuditLogEntry.action).where(AuditLogEntry.id == entry_id)) == "user.create"


def test_delete_is_refused_by_the_database(db):
    entry_id = _add_entry(db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(delete(AuditLogEntry).where(AuditLogEntry.id == entry_id))
        db.commit()
    db.rollback()
    assert db.get(AuditLogEntry, entry_id) is not None


def test_raw_sql_update_is_refused_too(db):
    """The guard lives in the database, not the ORM: plain SQL cannot get around it."""
    _add_entry(db)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text("UPDATE audit_log SET subject = 'x'"))
    db.rollback()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(postgres_url):
    """TRUNCATE skips row triggers, so PostgreSQL needs its own statement trigger."""
    engine = make_engine(postgres_url)
    try:
        with make_session_factory(engine)() as db:
            _add_entry(db)
            with pytest.raises(DBAPIError, match="append-only"):
                db.execute(text("TRUNCATE audit_log"))
            db.rollback()
            assert db.scalar(select(AuditLogEntry.id)) is not None
        empty_postgres_tables(engine)
    finally:
        engine.dispose()

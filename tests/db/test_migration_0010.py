"""Migration 0010 lets an outbox entry end "taken" (issue 15 item 10), on SQLite and on PostgreSQL.

Before it the CHECK constraint refused the state; after it an entry whose hash another wallet
anchored first can say so. Downgrading turns "taken" into "failed", the nearest older state.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from sebrus.db.migrate import alembic_config, upgrade_database

BEFORE = "0009_scan_operating_point"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _entry(connection: Connection, entry_id: int, state: str) -> None:
    connection.execute(
        text(
            "INSERT INTO outbox (id, dataset_id, content_hash, label_index, contributor_address, state, "
            "attempts, created_at, updated_at) VALUES (:id, 1, :sha, 0, :who, :state, 1, :at, :at)"
        ),
        {"id": entry_id, "sha": f"{entry_id:064x}", "who": "0x" + "22" * 20, "state": state, "at": NOW},
    )


def _dataset(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO datasets (id, address, name, description, labels, max_bytes, payload_on_chain, "
            "review_policy, created_at, updated_at) "
            "VALUES (1, :address, 'old', '', '[]', 1, false, '{}', :at, :at)"
        ),
        {"address": "0x" + "11" * 20, "at": NOW},
    )


def test_taken_is_refused_before_and_kept_after_and_downgrades_to_failed(bare_engine: Engine) -> None:
    upgrade_database(bare_engine, BEFORE)
    with bare_engine.begin() as connection:
        _dataset(connection)
        _entry(connection, 1, "sent")
    with pytest.raises(IntegrityError), bare_engine.begin() as connection:
        _entry(connection, 2, "taken")

    upgrade_database(bare_engine)
    with bare_engine.begin() as connection:
        _entry(connection, 2, "taken")
    with pytest.raises(IntegrityError), bare_engine.begin() as connection:
        _entry(connection, 3, "stolen")

    config = alembic_config()
    with bare_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with bare_engine.connect() as connection:
        states = connection.execute(text("SELECT id, state FROM outbox ORDER BY id")).all()
    assert [tuple(r) for r in states] == [(1, "sent"), (2, "failed")]

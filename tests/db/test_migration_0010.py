"""Migration 0010 lets an outbox entry end "taken" (issue 15 item 10), on SQLite and on PostgreSQL.

Before it the CHECK constraint refused the state; after it an entry whose hash another wallet
anchored first can say so. Downgrading turns "taken" into "failed", the nearest older state.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from sebrus.db.engine import make_engine
from sebrus.db.migrate import alembic_config, upgrade_database
from sebrus.testing.databases import postgres_server_url, postgres_unreachable_reason, url_with_search_path

BEFORE = "0009_scan_operating_point"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migration applied yet) on either backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    server = postgres_server_url()
    reason = postgres_unreachable_reason(server)
    if reason is not None:
        pytest.skip(reason)
    schema = f"sebrus_test_{secrets.token_hex(6)}"
    admin = make_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url_with_search_path(server, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


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

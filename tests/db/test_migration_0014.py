"""Migration 0014 adds the federation tables; downgrading removes them and leaves the rest alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from sebrus.db.migrate import alembic_config, upgrade_database

BEFORE = "0013_dataset_license_citation"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _federation(engine: Engine, fid: int, chain_federation_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO federations (id, dataset_id, config, config_hash, status, chain_id, "
                "log_address, chain_federation_id, operator_address, open_tx_hash, open_block, "
                "created_at, updated_at) "
                "VALUES (:id, 1, '{}', :hash, 'running', 1337, :log, :cfid, :op, :tx, 5, :at, :at)"
            ),
            {
                "id": fid,
                "hash": "ab" * 32,
                "log": "0x" + "33" * 20,
                "cfid": chain_federation_id,
                "op": "0x" + "44" * 20,
                "tx": "0x" + "55" * 32,
                "at": NOW,
            },
        )


def test_federation_tables_come_and_go(bare_engine: Engine) -> None:
    upgrade_database(bare_engine, BEFORE)
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO datasets (id, address, name, description, labels, max_bytes, payload_on_chain, "
                "review_policy, created_at, updated_at) "
                "VALUES (1, :address, 'old', '', '[]', 1, false, '{}', :at, :at)"
            ),
            {"address": "0x" + "11" * 20, "at": NOW},
        )
    assert "federations" not in inspect(bare_engine).get_table_names()

    upgrade_database(bare_engine)
    _federation(bare_engine, 1, 1)
    with pytest.raises(IntegrityError):  # one row per federation of one log
        _federation(bare_engine, 2, 1)
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO federation_rounds (federation_id, round_index, participants, excluded, refused, "
                "separated, participants_root, aggregate_sha256, loss_reports_sha256, loss_reports, tx_hash, "
                "block_number, created_at) "
                "VALUES (1, 1, '[]', '[]', '[]', false, :h, :h, :h, '[]', :tx, 6, :at)"
            ),
            {"h": "cd" * 32, "tx": "0x" + "66" * 32, "at": NOW},
        )

    config = alembic_config()
    with bare_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    tables = set(inspect(bare_engine).get_table_names())
    assert not {"federations", "federation_rounds"} & tables
    with bare_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM datasets")).scalar_one() == 1

"""Migration 0006 seeds the finalizer's work list from the commit-reveal rounds already under way.

Run on a database that holds votes (not only on an empty one), on SQLite and on PostgreSQL: each open
or resolved round with a commitment gets one ``reveal`` row whose deadline is read later (``due_at``
null); plain votes, and rounds that failed or were aborted, get none.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from sebrus.db.migrate import head_revision, upgrade_database

BEFORE = "0005_incidents"
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _vote(
    connection: Connection,
    vote_id: int,
    content_hash: str,
    round_index: int,
    commitment: str | None,
    state: str,
) -> None:
    connection.execute(
        text(
            "INSERT INTO review_votes (id, dataset_id, content_hash, round, voter_address, commitment, "
            "stake_wei, round_state, cast_at, tx_hash, block_number, log_index) VALUES (:id, 1, :sha, "
            ":round, :voter, :commitment, 1, :state, :at, :tx, 1, :id)"
        ),
        {
            "id": vote_id,
            "sha": content_hash,
            "round": round_index,
            "voter": "0x" + f"{vote_id:040x}",
            "commitment": commitment,
            "state": state,
            "at": NOW,
            "tx": "0x" + f"{vote_id:064x}",
        },
    )


def test_open_commit_reveal_rounds_become_reveal_rows(bare_engine: Engine) -> None:
    upgrade_database(bare_engine, BEFORE)
    committed = "0x" + "cc" * 32
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO datasets (id, address, name, description, labels, max_bytes, payload_on_chain, "
                "review_policy, created_at, updated_at) "
                "VALUES (1, :address, 'old', '', '[]', 1, false, '{}', :at, :at)"
            ),
            {"address": "0x" + "11" * 20, "at": NOW},
        )
        _vote(connection, 1, "aa" * 32, 0, committed, "open")  # two commits in one open round: one row
        _vote(connection, 2, "aa" * 32, 0, committed, "open")
        _vote(connection, 3, "aa" * 32, 1, committed, "resolved")  # decided, maybe not yet settled
        _vote(connection, 4, "bb" * 32, 0, committed, "failed")  # nothing left to finalize
        _vote(connection, 5, "dd" * 32, 0, None, "open")  # a plain vote

    upgrade_database(bare_engine)

    with bare_engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        rows = connection.execute(
            text(
                "SELECT dataset_id, content_hash, kind, round, state, due_at, attempts "
                "FROM review_deadlines ORDER BY content_hash, round"
            )
        ).all()
    assert version == head_revision()
    assert [tuple(r) for r in rows] == [
        (1, "aa" * 32, "reveal", 0, "due", None, 0),
        (1, "aa" * 32, "reveal", 1, "due", None, 0),
    ]

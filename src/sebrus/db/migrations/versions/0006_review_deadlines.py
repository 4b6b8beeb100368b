"""Review deadlines: the finalizer's work list (x = 0 items, commit-reveal rounds whose reveal closes)

Revision ID: 0006_review_deadlines
Revises: 0005_incidents
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_review_deadlines"
down_revision = "0005_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    deadlines = op.create_table(
        "review_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_review_deadlines_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_deadlines")),
        sa.UniqueConstraint("dataset_id", "content_hash", "kind", "round", name="uq_review_deadlines_round"),
    )
    op.create_index("ix_review_deadlines_due", "review_deadlines", ["state", "due_at", "id"])
    # Commit-reveal rounds already under way: their reveal windows are read from the chain later
    # (due_at null). Items under x = 0 need nothing here: the finalizer classifies every item once.
    votes = sa.table(
        "review_votes",
        sa.column("dataset_id", sa.Integer()),
        sa.column("content_hash", sa.String()),
        sa.column("round", sa.BigInteger()),
        sa.column("commitment", sa.String()),
        sa.column("round_state", sa.String()),
    )
    rounds = (
        op.get_bind()
        .execute(
            sa.select(votes.c.dataset_id, votes.c.content_hash, votes.c.round)
            .where(votes.c.commitment.is_not(None), votes.c.round_state.in_(("open", "resolved")))
            .distinct()
        )
        .all()
    )
    now = datetime.now(UTC)
    if rounds:
        op.bulk_insert(
            deadlines,
            [
                {
                    "dataset_id": dataset_id,
                    "content_hash": content_hash,
                    "kind": "reveal",
                    "round": round_index,
                    "state": "due",
                    "due_at": None,
                    "attempts": 0,
                    "updated_at": now,
                }
                for dataset_id, content_hash, round_index in rounds
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_review_deadlines_due", table_name="review_deadlines")
    op.drop_table("review_deadlines")

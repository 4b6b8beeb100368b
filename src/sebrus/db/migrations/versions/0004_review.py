"""Review network: votes, claims, pool and deposit transfers, allow-list, queue serves, commit nonces

Revision ID: 0004_review
Revises: 0003_scans
Create Date: 2026-11-24 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_review"
down_revision = "0003_scans"
branch_labels = None
depends_on = None

WEI = sa.String(length=40)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _chain_position() -> list[sa.Column]:
    return [
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "review_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("voter_address", sa.String(length=42), nullable=False),
        sa.Column("voter_user_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("commitment", sa.String(length=66), nullable=True),
        sa.Column("stake_wei", WEI, nullable=False),
        sa.Column("round_state", sa.String(length=16), nullable=False),
        _when("cast_at"),
        _when("revealed_at", nullable=True),
        *_chain_position(),
        sa.Column("reveal_tx_hash", sa.String(length=66), nullable=True),
        _fk("review_votes", "dataset_id", "datasets", "CASCADE"),
        _fk("review_votes", "item_id", "items", "CASCADE"),
        _fk("review_votes", "voter_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_votes")),
        sa.UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_votes_ballot"
        ),
    )
    op.create_index("ix_review_votes_item", "review_votes", ["item_id"])
    op.create_index("ix_review_votes_user", "review_votes", ["voter_user_id", "id"])
    op.create_index("ix_review_votes_voter", "review_votes", ["dataset_id", "voter_address", "id"])
    op.create_table(
        "review_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("voter_address", sa.String(length=42), nullable=False),
        sa.Column("voter_user_id", sa.Integer(), nullable=True),
        sa.Column("amount_wei", WEI, nullable=False),
        _when("claimed_at"),
        *_chain_position(),
        _fk("review_claims", "dataset_id", "datasets", "CASCADE"),
        _fk("review_claims", "voter_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_claims")),
        sa.UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_claims_ballot"
        ),
    )
    op.create_index("ix_review_claims_voter", "review_claims", ["dataset_id", "voter_address"])
    op.create_table(
        "review_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("amount_wei", WEI, nullable=False),
        _when("at"),
        *_chain_position(),
        _fk("review_transfers", "dataset_id", "datasets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_transfers")),
        sa.UniqueConstraint("tx_hash", "log_index", name=op.f("uq_review_transfers_tx_hash_log_index")),
    )
    op.create_index("ix_review_transfers_dataset", "review_transfers", ["dataset_id", "id"])
    op.create_table(
        "review_voters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        _when("updated_at"),
        _fk("review_voters", "dataset_id", "datasets", "CASCADE"),
        _fk("review_voters", "user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_voters")),
        sa.UniqueConstraint("dataset_id", "address", name=op.f("uq_review_voters_dataset_id_address")),
    )
    op.create_table(
        "review_serves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("served_at"),
        _fk("review_serves", "dataset_id", "datasets", "CASCADE"),
        _fk("review_serves", "item_id", "items", "CASCADE"),
        _fk("review_serves", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_serves")),
        sa.UniqueConstraint("item_id", "user_id", name=op.f("uq_review_serves_item_id_user_id")),
    )
    op.create_index("ix_review_serves_user", "review_serves", ["dataset_id", "user_id"])
    op.create_table(
        "review_commit_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("round", sa.BigInteger(), nullable=False),
        sa.Column("voter_address", sa.String(length=42), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("revealed_at", nullable=True),
        _fk("review_commit_secrets", "dataset_id", "datasets", "CASCADE"),
        _fk("review_commit_secrets", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_commit_secrets")),
        sa.UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_secrets_ballot"
        ),
    )


def downgrade() -> None:
    op.drop_table("review_commit_secrets")
    op.drop_index("ix_review_serves_user", table_name="review_serves")
    op.drop_table("review_serves")
    op.drop_table("review_voters")
    op.drop_index("ix_review_transfers_dataset", table_name="review_transfers")
    op.drop_table("review_transfers")
    op.drop_index("ix_review_claims_voter", table_name="review_claims")
    op.drop_table("review_claims")
    op.drop_index("ix_review_votes_voter", table_name="review_votes")
    op.drop_index("ix_review_votes_user", table_name="review_votes")
    op.drop_index("ix_review_votes_item", table_name="review_votes")
    op.drop_table("review_votes")

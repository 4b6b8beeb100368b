"""Federated training: federations, their anchored rounds, and the final model's hash and blob

Revision ID: 0014_federation
Revises: 0013_dataset_license_citation
Create Date: 2026-12-06 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_federation"
down_revision = "0013_dataset_license_citation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("log_address", sa.String(length=42), nullable=False),
        sa.Column("chain_federation_id", sa.BigInteger(), nullable=False),
        sa.Column("operator_address", sa.String(length=42), nullable=False),
        sa.Column("open_tx_hash", sa.String(length=66), nullable=False),
        sa.Column("open_block", sa.BigInteger(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("model_size", sa.BigInteger(), nullable=True),
        sa.Column("model_tx_hash", sa.String(length=66), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_federations_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_federations_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federations")),
        sa.UniqueConstraint(
            "chain_id",
            "log_address",
            "chain_federation_id",
            name=op.f("uq_federations_chain_id_log_address_chain_federation_id"),
        ),
    )
    op.create_index(op.f("ix_federations_dataset_id"), "federations", ["dataset_id"], unique=False)
    op.create_table(
        "federation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("round_index", sa.Integer(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("separated", sa.Boolean(), nullable=False),
        sa.Column("participants_root", sa.String(length=64), nullable=False),
        sa.Column("aggregate_sha256", sa.String(length=64), nullable=False),
        sa.Column("loss_reports_sha256", sa.String(length=64), nullable=False),
        sa.Column("loss_reports", sa.JSON(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federations.id"],
            name=op.f("fk_federation_rounds_federation_id_federations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_rounds")),
        sa.UniqueConstraint(
            "federation_id", "round_index", name=op.f("uq_federation_rounds_federation_id_round_index")
        ),
    )


def downgrade() -> None:
    op.drop_table("federation_rounds")
    op.drop_index(op.f("ix_federations_dataset_id"), table_name="federations")
    op.drop_table("federations")

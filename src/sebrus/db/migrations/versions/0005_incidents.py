"""Incidents: per-release model metrics (monitoring), contributor revocations and the items they hold

Revision ID: 0005_incidents
Revises: 0004_review
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_incidents"
down_revision = "0004_review"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "release_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("state", _enum("metric_state", "queued", "running", "done", "failed"), nullable=False),
        sa.Column("message", sa.String(length=256), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("per_class", sa.JSON(), nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_heldout", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.BigInteger(), nullable=True),
        sa.Column("previous_accuracy", sa.Float(), nullable=True),
        sa.Column("drop", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _when("created_at"),
        _when("finished_at", nullable=True),
        _fk("release_metrics", "dataset_id", "datasets", "CASCADE"),
        _fk("release_metrics", "release_id", "releases", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_metrics")),
        sa.UniqueConstraint("release_id", name=op.f("uq_release_metrics_release_id")),
    )
    op.create_index("ix_release_metrics_dataset", "release_metrics", ["dataset_id", "version"])
    op.create_index("ix_release_metrics_state", "release_metrics", ["state", "id"])
    op.create_table(
        "revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("contributor_address", sa.String(length=42), nullable=False),
        sa.Column("state", _enum("revocation_state", "active", "lifted"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("rescan_id", sa.Integer(), nullable=True),
        sa.Column("rescan_error", sa.Text(), nullable=True),
        _when("created_at"),
        _when("lifted_at", nullable=True),
        sa.Column("lift_tx_hash", sa.String(length=66), nullable=True),
        _fk("revocations", "dataset_id", "datasets", "CASCADE"),
        _fk("revocations", "revoked_by_user_id", "users", "SET NULL"),
        _fk("revocations", "rescan_id", "scans", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocations")),
    )
    op.create_index("ix_revocations_dataset", "revocations", ["dataset_id", "contributor_address", "id"])
    op.create_table(
        "revocation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revocation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status_at_revocation", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("requarantine_tx", sa.String(length=66), nullable=True),
        sa.Column("quarantine_tx", sa.String(length=66), nullable=True),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("cleared_tx", sa.String(length=66), nullable=True),
        _when("cleared_at", nullable=True),
        _fk("revocation_items", "revocation_id", "revocations", "CASCADE"),
        _fk("revocation_items", "item_id", "items", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_items")),
        sa.UniqueConstraint(
            "revocation_id", "item_id", name=op.f("uq_revocation_items_revocation_id_item_id")
        ),
    )
    op.create_index("ix_revocation_items_item", "revocation_items", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_revocation_items_item", table_name="revocation_items")
    op.drop_table("revocation_items")
    op.drop_index("ix_revocations_dataset", table_name="revocations")
    op.drop_table("revocations")
    op.drop_index("ix_release_metrics_state", table_name="release_metrics")
    op.drop_index("ix_release_metrics_dataset", table_name="release_metrics")
    op.drop_table("release_metrics")

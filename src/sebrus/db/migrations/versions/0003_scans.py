"""Scans: poison scans of a dataset, their per-item results, and the dataset's vetted seed set

Revision ID: 0003_scans
Revises: 0002_releases
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_scans"
down_revision = "0002_releases"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("state", _enum("scan_state", "queued", "running", "done", "failed"), nullable=False),
        sa.Column("scope", _enum("scan_scope", "all", "new-since-last"), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(length=256), nullable=False),
        sa.Column("since_item_id", sa.Integer(), nullable=False),
        sa.Column("upto_item_id", sa.Integer(), nullable=False),
        sa.Column("fpr", sa.Float(), nullable=False),
        sa.Column("random_seed", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("n_context", sa.Integer(), nullable=False),
        sa.Column("n_trusted", sa.Integer(), nullable=False),
        sa.Column("n_flagged", sa.Integer(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("report_html_sha256", sa.String(length=64), nullable=True),
        sa.Column("insufficient_data", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_scans_dataset_id_datasets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_scans_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    op.create_index("ix_scans_dataset", "scans", ["dataset_id", "id"])
    op.create_index("ix_scans_state", "scans", ["state", "id"])
    op.create_table(
        "scan_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("suspicion", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column(
            "quarantine", _enum("quarantine_state", "pending", "sent", "skipped", "failed"), nullable=True
        ),
        sa.Column("quarantine_tx", sa.String(length=66), nullable=True),
        sa.Column("quarantine_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_results_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_scan_results_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_results")),
        sa.UniqueConstraint("scan_id", "item_id", name=op.f("uq_scan_results_scan_id_item_id")),
    )
    op.create_index("ix_scan_results_flagged", "scan_results", ["scan_id", "flagged", "suspicion"])
    op.create_index("ix_scan_results_item", "scan_results", ["item_id"])
    op.create_index("ix_scan_results_quarantine", "scan_results", ["quarantine", "id"])
    op.create_table(
        "dataset_seeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("source", _enum("seed_source", "upload", "item"), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_seeds_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"],
            ["users.id"],
            name=op.f("fk_dataset_seeds_added_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_seeds")),
        sa.UniqueConstraint(
            "dataset_id", "content_hash", name=op.f("uq_dataset_seeds_dataset_id_content_hash")
        ),
    )


def downgrade() -> None:
    op.drop_table("dataset_seeds")
    op.drop_index("ix_scan_results_quarantine", table_name="scan_results")
    op.drop_index("ix_scan_results_item", table_name="scan_results")
    op.drop_index("ix_scan_results_flagged", table_name="scan_results")
    op.drop_table("scan_results")
    op.drop_index("ix_scans_state", table_name="scans")
    op.drop_index("ix_scans_dataset", table_name="scans")
    op.drop_table("scans")

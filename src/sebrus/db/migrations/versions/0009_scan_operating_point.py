"""Scan operating point: a false-discovery rate by default, a false-positive rate only when asked

Revision ID: 0009_scan_operating_point
Revises: 0008_scan_model
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_scan_operating_point"
down_revision = "0008_scan_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.alter_column("fpr", existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("fdr", sa.Float(), nullable=True))
        batch.add_column(sa.Column("expected_false_positives", sa.Float(), nullable=True))
        batch.add_column(sa.Column("expected_precision", sa.Float(), nullable=True))
        batch.add_column(sa.Column("trusted_message", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("trusted_message")
        batch.drop_column("expected_precision")
        batch.drop_column("expected_false_positives")
        batch.drop_column("fdr")
    op.execute("UPDATE scans SET fpr = 0.05 WHERE fpr IS NULL")
    with op.batch_alter_table("scans") as batch:
        batch.alter_column("fpr", existing_type=sa.Float(), nullable=False)

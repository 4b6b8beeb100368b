"""Scan model: the owner's own model that scans of a dataset use, and the model each scan ran with

Revision ID: 0008_scan_model
Revises: 0007_audit_log_action_index
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_scan_model"
down_revision = "0007_audit_log_action_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("scan_model_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("scan_model_format", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("scan_model_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("scan_model_name", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("scan_model_set_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("model_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("model_sha256")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("scan_model_set_at")
        batch.drop_column("scan_model_name")
        batch.drop_column("scan_model_size")
        batch.drop_column("scan_model_format")
        batch.drop_column("scan_model_sha256")

"""Scan heartbeats: a running scan says it is alive, so that only a dead runner's scans are failed

Revision ID: 0011_scan_heartbeat
Revises: 0010_outbox_taken
Create Date: 2026-12-06 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_scan_heartbeat"
down_revision = "0010_outbox_taken"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("heartbeat_at")

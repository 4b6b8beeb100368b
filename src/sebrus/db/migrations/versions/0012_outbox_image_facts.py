"""Outbox rows carry the image's facts, so the item row is written without reading the blob again

Revision ID: 0012_outbox_image_facts
Revises: 0011_scan_heartbeat
Create Date: 2026-12-06 08:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_outbox_image_facts"
down_revision = "0011_scan_heartbeat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("media_type", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("media_type")
        batch.drop_column("height")
        batch.drop_column("width")
        batch.drop_column("size")

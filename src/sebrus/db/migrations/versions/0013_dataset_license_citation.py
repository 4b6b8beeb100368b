"""Datasets carry the owner's licence and citation, which every Croissant export states

Revision ID: 0013_dataset_license_citation
Revises: 0012_outbox_image_facts
Create Date: 2026-12-06 09:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_dataset_license_citation"
down_revision = "0012_outbox_image_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("license", sa.String(256), nullable=True))
        batch.add_column(sa.Column("cite_as", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a batch "recreate" would drop and rebuild
    # `datasets`, and with foreign keys on, the drop cascades to every row that references a dataset.
    with op.batch_alter_table("datasets", recreate="never") as batch:
        batch.drop_column("cite_as")
        batch.drop_column("license")

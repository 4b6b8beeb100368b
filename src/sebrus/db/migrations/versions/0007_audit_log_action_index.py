"""Audit log: an index on (action, subject, id), so the Audit page finds each dataset's latest audit run

Revision ID: 0007_audit_log_action_index
Revises: 0006_review_deadlines
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007_audit_log_action_index"
down_revision = "0006_review_deadlines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_subject", "audit_log", ["action", "subject", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_subject", table_name="audit_log")

"""Outbox state "taken": the content hash was anchored first by another wallet

A relayed contribution whose hash someone else anchored first (a front-runner who saw the pending
batch) is neither sent nor failed: it ends as "taken", so that the contributor is told the truth.

Revision ID: 0010_outbox_taken
Revises: 0009_scan_operating_point
Create Date: 2026-12-06 08:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010_outbox_taken"
down_revision = "0009_scan_operating_point"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_outbox_outbox_state"


def _states(*states: str) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(
            op.f(CONSTRAINT), _states("pending", "sent", "confirmed", "failed", "taken")
        )


def downgrade() -> None:
    # A taken entry never anchored this upload: "failed" is the nearest older state.
    op.execute("UPDATE outbox SET state = 'failed' WHERE state = 'taken'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(CONSTRAINT), _states("pending", "sent", "confirmed", "failed"))

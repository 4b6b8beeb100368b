"""Database rows as a job queue: the one way scans and release measurements are claimed.

A job is a row with a state column. Whoever runs it (a thread of the server, an RQ worker, a second
server) takes it with one compare-and-set UPDATE from queued to running, so a job offered twice runs
once, on every database the platform supports, without locks held across the work. The row stays the
source of truth for the job's state; Redis, when used, only delivers the wake-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

MAX_CLAIM_TRIES = 16  # another claimer took the candidate: look again, but not forever


@dataclass(frozen=True)
class RowQueue:
    """Rows of ``model`` whose ``state`` moves ``queued`` -> ``running`` when claimed.

    ``order``: which queued row goes first. ``on_claim``: what else a claim writes (a start time, a
    first progress message), in the same UPDATE; a function, so that a time is the claim's own.
    """

    model: Any
    state: InstrumentedAttribute[Any]
    queued: Any
    running: Any
    order: Sequence[Any] = ()
    on_claim: Callable[[], dict[str, Any]] = dict

    def claim(self, db: Session, row_id: int) -> bool:
        """Take row ``row_id`` if it is still queued; commits. False when someone else took it first."""
        claimed = db.execute(
            update(self.model)
            .where(self.model.id == row_id, self.state == self.queued)
            .values({self.state.key: self.running, **self.on_claim()})
        )
        db.commit()
        return bool(getattr(claimed, "rowcount", 0) == 1)

    def claim_next(self, db: Session, *where: ColumnElement[bool]) -> int | None:
        """Claim the first queued row (in ``order``) that matches ``where``; None when there is none.

        On PostgreSQL the candidate is read ``FOR UPDATE SKIP LOCKED``, so claimers in other processes
        pass over it instead of queueing behind this one; the compare-and-set in :meth:`claim` keeps
        SQLite (which has no row locks) just as safe.
        """
        for _ in range(MAX_CLAIM_TRIES):
            row_id = db.scalar(
                select(self.model.id)
                .where(self.state == self.queued, *where)
                .order_by(*self.order)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row_id is None:
                db.rollback()
                return None
            if self.claim(db, row_id):
                return int(row_id)
        return None

    def running_rows(self, db: Session) -> list[Any]:
        """Rows a stopped process left running: at start-up, before any claim, these were interrupted."""
        return list(db.scalars(select(self.model).where(self.state == self.running)))

"""Model performance monitoring: each release's reference model, measured per class on held-out seed images.

For each published release, a background job trains detect's reference CNN on the release's items and
measures it on the HELD-OUT SHARE of the owner's seed set (``services/scans/seeds.holdout_hashes``:
25% of each label's uploaded seed files, none for a label with fewer than 4). Scans never see that share, so
nothing that decided what reached the release was tuned on it; seeds picked from existing items are
never held out, since a release may contain them. Without held-out seeds a release gets a metric row
saying that nothing could be measured.

What is measured and when it alerts is in ``services/incidents/monitor_model.py``: per class, accuracy, mean
true-label probability and the soft confusion row, because a label flip that leaves accuracy unmoved
still takes probability from the true label. The reference is the previous measured release (paired
on the held-out images both measured, from the per-image evidence each metric stores in
``sources["evidence"]``, which the API never shows: the seed set is the owner's), or, for the first
release or when no held-out image is shared, a baseline model trained on the seed images scans use.
An alert names the classes that dropped, the label pairs A->B that gained the mass, and the
contributors whose items labelled B look like A, confirmed by retraining without the leader.

Jobs run in the server: the loop finds releases that have no metric row yet, so publishing needs no
hook (a release published while the server was down is measured at the next start), and a job left
running by a stopped server is failed at start, like scans.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.engine import SessionFactory
from sebrus.db.models import (
    Dataset,
    MetricState,
    Release,
    ReleaseMetric,
)
from sebrus.jobs.coordination import Lease
from sebrus.jobs.loop import BackgroundLoop
from sebrus.jobs.rows import RowQueue
from sebrus.services.incidents import measurement
from sebrus.services.incidents.measurement import MonitorSettings

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0

__all__ = ["METRIC_QUEUE", "MonitorJobs", "MonitorSettings", "latest_alert", "metrics"]


# ---------------------------------------------------------------------------------------------- queue

#: Release measurements as a row queue: per dataset, the lowest version first.
METRIC_QUEUE = RowQueue(
    ReleaseMetric,
    ReleaseMetric.state,
    queued=MetricState.QUEUED,
    running=MetricState.RUNNING,
    order=(ReleaseMetric.dataset_id, ReleaseMetric.version),
    on_claim=lambda: {"message": "training the reference model"},
)


def enqueue_unmeasured(db: Session) -> int:
    """Give every release without a metric row a queued one; returns how many were added."""
    missing = db.scalars(
        select(Release)
        .outerjoin(ReleaseMetric, ReleaseMetric.release_id == Release.id)
        .where(ReleaseMetric.id.is_(None))
        .order_by(Release.id)
    )
    added = 0
    for release in list(missing):
        db.add(
            ReleaseMetric(
                dataset_id=release.dataset_id,
                release_id=release.id,
                version=release.version,
                state=MetricState.QUEUED,
                message="queued",
                per_class={},
                sources={},
            )
        )
        added += 1
    if added:
        db.commit()
    return added


def claim_next(db: Session) -> int | None:
    """Claim the queued metric of the lowest version first, so a drop is measured against its predecessor."""
    return METRIC_QUEUE.claim_next(db)


def fail_interrupted(db: Session) -> int:
    stuck = METRIC_QUEUE.running_rows(db)
    for metric in stuck:
        measurement.fail(db, metric, "interrupted: the server stopped while this release was measured")
    return len(stuck)


# ---------------------------------------------------------------------------------------------- read


def metrics(db: Session, dataset: Dataset) -> Sequence[ReleaseMetric]:
    return list(
        db.scalars(
            select(ReleaseMetric)
            .where(ReleaseMetric.dataset_id == dataset.id)
            .order_by(ReleaseMetric.version)
        )
    )


def latest_alert(db: Session, dataset: Dataset) -> ReleaseMetric | None:
    """The newest measured release's metric when it raised an alert (an older alert is history)."""
    newest = db.scalar(
        select(ReleaseMetric)
        .where(ReleaseMetric.dataset_id == dataset.id, ReleaseMetric.state == MetricState.DONE)
        .order_by(ReleaseMetric.version.desc())
        .limit(1)
    )
    return newest if newest is not None and newest.alert else None


# ---------------------------------------------------------------------------------------------- runner


class MonitorJobs:
    """The server's monitoring loop: queue unmeasured releases, measure them one at a time."""

    def __init__(
        self,
        sessions: SessionFactory,
        blobs: BlobStore,
        settings: MonitorSettings,
        *,
        lease: Lease | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self.settings = settings
        # One process measures at a time (the lease); whoever takes the loop over fails what the
        # previous owner left running, and only then, so a process starting never fails live work.
        self.loop = BackgroundLoop(
            "monitor", self.step, idle_seconds=POLL_SECONDS, lease=lease, on_ownership=self._take_over
        )

    def _take_over(self) -> None:
        with self._sessions() as db:
            if fail_interrupted(db):
                log.warning("release measurements interrupted by their previous owner are marked failed")

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(timeout=60.0)

    def wake(self) -> None:
        self.loop.wake()

    def step(self) -> int:
        with self._sessions() as db:
            enqueue_unmeasured(db)
            metric_id = claim_next(db)
        if metric_id is None:
            return 0
        measurement.measure(self._sessions, self._blobs, metric_id, self.settings)
        return 1

"""Model performance monitoring: every release trains the reference model, scored on the trusted set.

For each published release, a background job trains detect's reference CNN on the release's items and
records its accuracy on the owner's HELD-OUT TRUSTED SET. Which set that is: the seed images the owner
uploaded (``source = upload``). They are never anchored, so they can never be in a release, and a model
trained on a release has never seen them. They are the same images scans calibrate on; we chose not to
split them, because seed sets are small (tens per class) and halving them weakens both the scans and
this measurement. The cost is a mild optimism: scans chose which items reached the release with
knowledge of these images. Seeds the owner picked from existing items are left out (they may be in the
release). Without seed uploads a release gets a metric row saying that nothing could be measured.

A drop of more than ``SEBRUS_MONITOR_DROP_THRESHOLD`` (accuracy, 0..1) since the last measured release
raises an alert with its likely sources (see ``services/monitor_model.py`` for the method).

Jobs run in the server: the loop finds releases that have no metric row yet, so publishing needs no
hook (a release published while the server was down is measured at the next start), and a job left
running by a stopped server is failed at start, like scans.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import (
    Dataset,
    DatasetSeed,
    Item,
    MetricState,
    Release,
    ReleaseItem,
    ReleaseMetric,
    SeedSource,
)
from sebrus.jobs.loop import BackgroundLoop
from sebrus.services import audit_log
from sebrus.services.errors import NotFound
from sebrus.services.monitor_model import attribute_drop, evaluate, train
from sebrus.services.scan_data import decode_images

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
POLL_SECONDS = 5.0
MAX_ERROR = 2000


@dataclass(frozen=True)
class MonitorSettings:
    drop_threshold: float = 0.02
    epochs: int = 6
    seed: int = 0


# ---------------------------------------------------------------------------------------------- queue


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
    for metric_id in list(
        db.scalars(
            select(ReleaseMetric.id)
            .where(ReleaseMetric.state == MetricState.QUEUED)
            .order_by(ReleaseMetric.dataset_id, ReleaseMetric.version)
        )
    ):
        claimed = db.execute(
            update(ReleaseMetric)
            .where(ReleaseMetric.id == metric_id, ReleaseMetric.state == MetricState.QUEUED)
            .values(state=MetricState.RUNNING, message="training the reference model")
        )
        db.commit()
        if getattr(claimed, "rowcount", 0) == 1:
            return metric_id
    return None


def fail_interrupted(db: Session) -> int:
    stuck = list(db.scalars(select(ReleaseMetric).where(ReleaseMetric.state == MetricState.RUNNING)))
    for metric in stuck:
        _fail(db, metric, "interrupted: the server stopped while this release was measured")
    return len(stuck)


# ---------------------------------------------------------------------------------------------- run


@dataclass
class _Data:
    names: list[str]
    train_x: np.ndarray
    train_y: np.ndarray
    train_hashes: list[str]
    train_contributors: list[str]
    heldout_x: np.ndarray
    heldout_y: np.ndarray


def measure(sessions: SessionFactory, blobs: BlobStore, metric_id: int, settings: MonitorSettings) -> None:
    """Train on the release, score on the held-out seeds, compare with the previous release, attribute."""
    try:
        with sessions() as db:
            metric = _metric(db, metric_id)
            release, dataset = _release_and_dataset(db, metric)
            data = _load(db, blobs, dataset, release)
            if data is None:
                _finish_unmeasured(
                    db, metric, "no held-out trusted set: upload seed images to measure releases"
                )
                return
            previous = _previous_measured(db, metric)
        model = train(data.train_x, data.train_y, len(data.names), settings.epochs, settings.seed)
        result = evaluate(model, data.heldout_x, data.heldout_y, data.names)
        sources: dict[str, Any] = {}
        drop = None if previous is None or previous.accuracy is None else previous.accuracy - result.accuracy
        alert = drop is not None and drop > settings.drop_threshold
        if alert and previous is not None:
            with sessions() as db:
                sources = _attribute(db, blobs, dataset, previous, data, result.accuracy, settings)
        with sessions() as db:
            metric = _metric(db, metric_id)
            metric.state = MetricState.DONE
            metric.accuracy = result.accuracy
            metric.per_class = result.per_class
            metric.n_train = len(data.train_y)
            metric.n_heldout = len(data.heldout_y)
            metric.previous_version = previous.version if previous is not None else None
            metric.previous_accuracy = previous.accuracy if previous is not None else None
            metric.drop = round(drop, 4) if drop is not None else None
            metric.threshold = settings.drop_threshold
            metric.alert = alert
            metric.sources = sources
            metric.message = (
                f"ALERT: accuracy fell {drop:.1%} since version {previous.version}"
                if alert and previous is not None and drop is not None
                else f"accuracy {result.accuracy:.1%} on {len(data.heldout_y)} held-out seed images"
            )
            metric.finished_at = datetime.now(UTC)
            audit_log.record(
                db,
                "monitor.alert" if alert else "monitor.measure",
                f"dataset:{metric.dataset_id}",
                details={
                    "automated": True,
                    "version": metric.version,
                    "accuracy": metric.accuracy,
                    "previous_version": metric.previous_version,
                    "drop": metric.drop,
                    "threshold": metric.threshold,
                    "top_contributors": [c["contributor"] for c in sources.get("contributors", [])[:3]],
                    "top_classes": [c["label"] for c in sources.get("classes", [])[:3]],
                },
            )
            db.commit()
    except Exception as exc:
        log.exception("measuring release metric %s failed", metric_id)
        with sessions() as db:
            failed = db.get(ReleaseMetric, metric_id)
            if failed is not None:
                _fail(db, failed, f"{type(exc).__name__}: {exc}")


def _metric(db: Session, metric_id: int) -> ReleaseMetric:
    metric = db.get(ReleaseMetric, metric_id)
    if metric is None:
        raise NotFound(f"Release metric {metric_id} not found.")
    return metric


def _release_and_dataset(db: Session, metric: ReleaseMetric) -> tuple[Release, Dataset]:
    release = db.get(Release, metric.release_id)
    dataset = db.get(Dataset, metric.dataset_id)
    if release is None or dataset is None:
        raise NotFound(f"The release of metric {metric.id} is gone.")
    return release, dataset


def _previous_measured(db: Session, metric: ReleaseMetric) -> ReleaseMetric | None:
    return db.scalar(
        select(ReleaseMetric)
        .where(
            ReleaseMetric.dataset_id == metric.dataset_id,
            ReleaseMetric.version < metric.version,
            ReleaseMetric.state == MetricState.DONE,
            ReleaseMetric.accuracy.is_not(None),
        )
        .order_by(ReleaseMetric.version.desc())
        .limit(1)
    )


def heldout_seeds(db: Session, dataset: Dataset) -> list[DatasetSeed]:
    """The held-out trusted set: seed uploads in the label set that are not items of the dataset."""
    item_hashes = set(db.scalars(select(Item.content_hash).where(Item.dataset_id == dataset.id)))
    return [
        s
        for s in db.scalars(
            select(DatasetSeed)
            .where(DatasetSeed.dataset_id == dataset.id, DatasetSeed.source == SeedSource.UPLOAD)
            .order_by(DatasetSeed.id)
        )
        if s.label in dataset.labels and s.content_hash not in item_hashes
    ]


def _release_rows(db: Session, release: Release) -> list[tuple[str, str, str]]:
    """(sha256, label, contributor) of every item in the release, in hash order."""
    rows = db.execute(
        select(ReleaseItem.content_hash, ReleaseItem.label, Item.contributor_address)
        .join(Item, Item.id == ReleaseItem.item_id)
        .where(ReleaseItem.release_id == release.id)
        .order_by(ReleaseItem.content_hash)
    )
    return [(h, label, who) for h, label, who in rows]


def _load(db: Session, blobs: BlobStore, dataset: Dataset, release: Release) -> _Data | None:
    seeds = heldout_seeds(db, dataset)
    rows = [r for r in _release_rows(db, release) if r[1] in dataset.labels]
    if not seeds or not rows:
        return None
    names = list(dataset.labels)
    index = {label: k for k, label in enumerate(names)}
    stack, _ = decode_images([blobs.get(h) for h, _, _ in rows] + [blobs.get(s.content_hash) for s in seeds])
    n = len(rows)
    return _Data(
        names=names,
        train_x=stack[:n],
        train_y=np.array([index[label] for _, label, _ in rows], dtype=np.int64),
        train_hashes=[h for h, _, _ in rows],
        train_contributors=[who for _, _, who in rows],
        heldout_x=stack[n:],
        heldout_y=np.array([index[s.label] for s in seeds], dtype=np.int64),
    )


def _attribute(
    db: Session,
    blobs: BlobStore,
    dataset: Dataset,
    previous: ReleaseMetric,
    data: _Data,
    accuracy: float,
    settings: MonitorSettings,
) -> dict[str, Any]:
    """Which new items carry the drop: rank by excess loss, then confirm the leaders by retraining."""
    before = db.get(Release, previous.release_id)
    if before is None:
        return {}
    old_rows = [r for r in _release_rows(db, before) if r[1] in dataset.labels]
    old_hashes = {h for h, _, _ in old_rows}
    index = {label: k for k, label in enumerate(data.names)}
    if not old_rows:
        return {}
    old_stack, _ = decode_images([blobs.get(h) for h, _, _ in old_rows])
    if old_stack.shape[1:] != data.train_x.shape[1:]:
        return {"error": "the previous release's images decode to another shape; no attribution"}
    old_y = np.array([index[label] for _, label, _ in old_rows], dtype=np.int64)
    previous_model = train(old_stack, old_y, len(data.names), settings.epochs, settings.seed)
    new = np.array([h not in old_hashes for h in data.train_hashes])
    attribution = attribute_drop(
        previous_model=previous_model,
        new_images=data.train_x[new],
        new_labels=data.train_y[new],
        new_contributors=[c for c, is_new in zip(data.train_contributors, new, strict=True) if is_new],
        names=data.names,
    )
    contributors = np.array(data.train_contributors)
    for group, key, members in (
        ("contributor", "contributor", contributors),
        ("label", "label", np.array([data.names[y] for y in data.train_y])),
    ):
        leaders = attribution.contributors if group == "contributor" else attribution.classes
        if not leaders:
            continue
        leader = leaders[0][key]
        keep = ~(new & (members == leader))
        if keep.sum() == 0 or len(set(data.train_y[keep].tolist())) < 2:
            continue
        model = train(data.train_x[keep], data.train_y[keep], len(data.names), settings.epochs, settings.seed)
        without = evaluate(model, data.heldout_x, data.heldout_y, data.names).accuracy
        attribution.confirmations.append(
            {
                "group": group,
                group: leader,
                "items_left_out": int((~keep).sum()),
                "accuracy_without": without,
                "recovered": round(without - accuracy, 4),
            }
        )
    return attribution.to_json()


def _finish_unmeasured(db: Session, metric: ReleaseMetric, message: str) -> None:
    metric.state = MetricState.DONE
    metric.message = message[:256]
    metric.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "monitor.skip",
        f"dataset:{metric.dataset_id}",
        details={"automated": True, "version": metric.version, "message": message},
    )
    db.commit()


def _fail(db: Session, metric: ReleaseMetric, error: str) -> None:
    metric.state = MetricState.FAILED
    metric.error = error[:MAX_ERROR]
    metric.message = "failed"
    metric.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "monitor.fail",
        f"dataset:{metric.dataset_id}",
        details={"automated": True, "version": metric.version, "error": metric.error},
    )
    db.commit()


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

    def __init__(self, sessions: SessionFactory, blobs: BlobStore, settings: MonitorSettings) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self.settings = settings
        self.loop = BackgroundLoop("monitor", self.step, idle_seconds=POLL_SECONDS)

    def start(self) -> None:
        with self._sessions() as db:
            if fail_interrupted(db):
                log.warning("release measurements interrupted by the last stop are marked failed")
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
        measure(self._sessions, self._blobs, metric_id, self.settings)
        return 1

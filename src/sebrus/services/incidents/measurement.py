"""Measuring one release: train the reference model on it, test it on the held-out seeds, attribute a drop.

The queue and the server's loop are in ``monitoring``; this is the work one claimed metric row gets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.engine import SessionFactory
from sebrus.db.models import (
    Dataset,
    DatasetSeed,
    Item,
    MetricState,
    Release,
    ReleaseItem,
    ReleaseMetric,
)
from sebrus.services import audit_log
from sebrus.services.errors import NotFound
from sebrus.services.incidents.monitor_model import (
    MIN_PAIRED,
    Evaluation,
    TestSettings,
    attribute_pairs,
    compare,
    cross_fitted,
    dense,
    evaluate,
    train,
)
from sebrus.services.scans import seeds
from sebrus.services.scans.data import decode_images

log = logging.getLogger(__name__)

MAX_ERROR = 2000


@dataclass(frozen=True)
class MonitorSettings:
    drop_threshold: float = 0.02  # overall accuracy a release may lose (the bootstrap bound must pass it)
    epochs: int = 6
    seed: int = 0
    class_margin: float = 0.08  # true-label probability a class may lose (see monitor_model.TestSettings)
    alpha: float = 0.05
    resamples: int = 2000

    def test(self) -> TestSettings:
        return TestSettings(
            margin=self.class_margin,
            accuracy_margin=self.drop_threshold,
            alpha=self.alpha,
            resamples=self.resamples,
            seed=self.seed,
        )


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
    heldout_hashes: list[str]
    baseline_x: np.ndarray  # the seed images scans use: the baseline model's training set
    baseline_y: np.ndarray


@dataclass
class _Reference:
    """What the release is compared with: paired distributions on shared held-out images."""

    kind: str  # "release" | "seeds"
    version: int | None
    accuracy: float | None
    rows: np.ndarray  # indices into the held-out set
    probs: np.ndarray  # (len(rows), k)


def measure(sessions: SessionFactory, blobs: BlobStore, metric_id: int, settings: MonitorSettings) -> None:
    """Train on the release, measure per class on the held-out seeds, test the drop, attribute it."""
    try:
        with sessions() as db:
            metric = _metric(db, metric_id)
            release, dataset = _release_and_dataset(db, metric)
            data = _load(db, blobs, dataset, release)
            if data is None:
                _finish_unmeasured(
                    db,
                    metric,
                    "no held-out seed images: upload at least 4 seed images of a label "
                    "(a quarter are held out for monitoring) to measure releases",
                )
                return
            previous = _previous_measured(db, metric)
            previous_evidence = _evidence(previous)
            previous_rows = (
                _release_rows(db, db.get(Release, previous.release_id))  # type: ignore[arg-type]
                if previous is not None and db.get(Release, previous.release_id) is not None
                else []
            )
        k = len(data.names)
        model = train(data.train_x, data.train_y, k, settings.epochs, settings.seed)
        result = evaluate(model, data.heldout_x, data.heldout_y, data.names)
        baseline = _Baseline(data, settings)
        reference = _reference(data, previous, previous_evidence, baseline)
        comparison: dict[str, Any] = {}
        if reference is not None:
            comparison = compare(
                result.probs[reference.rows],
                reference.probs,
                data.heldout_y[reference.rows],
                data.names,
                settings.test(),
            )
        alert = bool(comparison.get("alert"))
        sources: dict[str, Any] = {}
        if alert:
            old_hashes = {h for h, _, _ in previous_rows}
            sources = _attribute(data, comparison, old_hashes, result, baseline, settings)
        if reference is not None:
            sources["reference"] = {
                "kind": reference.kind,
                "version": reference.version,
                "accuracy": reference.accuracy,
            }
            sources["comparison"] = comparison
        sources["evidence"] = {"heldout": result.evidence(data.heldout_hashes)}
        with sessions() as db:
            metric = _metric(db, metric_id)
            drop = None
            if reference is not None and reference.kind == "release" and comparison.get("accuracy"):
                drop = float(comparison["accuracy"]["drop"])
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
            metric.message = _message(result, data, reference, comparison)[:256]
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
                    "reference": reference.kind if reference is not None else None,
                    "drop": metric.drop,
                    "threshold": metric.threshold,
                    "class_margin": settings.class_margin,
                    "top_contributors": [c["contributor"] for c in sources.get("contributors", [])[:3]],
                    "top_classes": [c["label"] for c in sources.get("classes", [])[:3]],
                    "top_pairs": [f"{p['from']}->{p['to']}" for p in sources.get("pairs", [])[:3]],
                },
            )
            db.commit()
    except Exception as exc:
        log.exception("measuring release metric %s failed", metric_id)
        with sessions() as db:
            failed = db.get(ReleaseMetric, metric_id)
            if failed is not None:
                fail(db, failed, f"{type(exc).__name__}: {exc}")


def _evidence(metric: ReleaseMetric | None) -> dict[str, dict[str, float]]:
    if metric is None or not isinstance(metric.sources, dict):
        return {}
    stored = metric.sources.get("evidence", {})
    heldout = stored.get("heldout", {}) if isinstance(stored, dict) else {}
    return heldout if isinstance(heldout, dict) else {}


def _reference(
    data: _Data,
    previous: ReleaseMetric | None,
    evidence: dict[str, dict[str, float]],
    baseline: _Baseline,
) -> _Reference | None:
    """The previous measured release on the held-out images it shares, else the seed-only baseline."""
    k = len(data.names)
    if previous is not None:
        rows = np.array([n for n, h in enumerate(data.heldout_hashes) if h in evidence], dtype=np.int64)
        if len(rows) >= MIN_PAIRED:
            probs = dense(evidence, [data.heldout_hashes[n] for n in rows], k)
            return _Reference("release", previous.version, previous.accuracy, rows, probs)
    model = baseline.model()
    if model is None:
        return None
    result = evaluate(model, data.heldout_x, data.heldout_y, data.names)
    rows = np.arange(len(data.heldout_y), dtype=np.int64)
    return _Reference("seeds", None, result.accuracy, rows, result.probs)


class _Baseline:
    """The reference model trained on the seed images scans use, trained once, when first needed."""

    def __init__(self, data: _Data, settings: MonitorSettings) -> None:
        self._data, self._settings = data, settings
        self._model: Any = None
        self._tried = False

    def model(self) -> Any:
        if not self._tried:
            self._tried = True
            y = self._data.baseline_y
            if len(y) >= MIN_PAIRED and len(set(y.tolist())) >= 2:
                data, settings = self._data, self._settings
                self._model = train(data.baseline_x, y, len(data.names), settings.epochs, settings.seed)
        return self._model


def _message(
    result: Evaluation, data: _Data, reference: _Reference | None, comparison: dict[str, Any]
) -> str:
    against = (
        "no reference to compare with"
        if reference is None
        else f"version {reference.version}"
        if reference.kind == "release"
        else "the seed-only baseline"
    )
    if comparison.get("alert"):
        dropped = [c for c in comparison["classes"] if c["alert"]]
        parts = [f"{c['label']} lost {c['drop']:.2f} of its true-label probability" for c in dropped[:2]]
        pairs = ", ".join(f"{p['from']}->{p['to']} +{p['increase']:.2f}" for p in comparison["pairs"][:3])
        accuracy = comparison.get("accuracy", {})
        if accuracy.get("alert") and not parts:
            parts.append(f"accuracy fell {accuracy['drop']:.1%}")
        return (
            f"ALERT: {'; '.join(parts)} against {against}"
            + (f" ({pairs})" if pairs else "")
            + f"; accuracy {accuracy.get('before', 0):.1%} -> {accuracy.get('now', 0):.1%}"
        )
    lowest = min(result.per_class.items(), key=lambda kv: float(kv[1]["true_prob"]), default=None)
    weakest = (
        f", weakest class {lowest[0]} at {lowest[1]['true_prob']:.2f} true-label probability"
        if lowest
        else ""
    )
    verdict = f"; no significant drop against {against}" if reference is not None else f"; {against}"
    return f"accuracy {result.accuracy:.1%} on {len(data.heldout_y)} held-out seed images{weakest}{verdict}"


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
    """The held-out share of the seed set that monitoring measures on (``seeds.monitoring_holdout``)."""
    return seeds.monitoring_holdout(db, dataset)


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
    held = heldout_seeds(db, dataset)
    rows = [r for r in _release_rows(db, release) if r[1] in dataset.labels]
    if not held or not rows:
        return None
    held_hashes = {s.content_hash for s in held}
    baseline = [
        s
        for s in seeds.seed_rows(db, dataset)
        if s.label in dataset.labels and s.content_hash not in held_hashes
    ]
    names = list(dataset.labels)
    index = {label: k for k, label in enumerate(names)}
    stack, _ = decode_images(
        [blobs.get(h) for h, _, _ in rows]
        + [blobs.get(s.content_hash) for s in held]
        + [blobs.get(s.content_hash) for s in baseline]
    )
    n, m = len(rows), len(rows) + len(held)
    return _Data(
        names=names,
        train_x=stack[:n],
        train_y=np.array([index[label] for _, label, _ in rows], dtype=np.int64),
        train_hashes=[h for h, _, _ in rows],
        train_contributors=[who for _, _, who in rows],
        heldout_x=stack[n:m],
        heldout_y=np.array([index[s.label] for s in held], dtype=np.int64),
        heldout_hashes=[s.content_hash for s in held],
        baseline_x=stack[m:],
        baseline_y=np.array([index[s.label] for s in baseline], dtype=np.int64),
    )


def _attribute(
    data: _Data,
    comparison: dict[str, Any],
    old_hashes: set[str],
    result: Evaluation,
    baseline: _Baseline,
    settings: MonitorSettings,
) -> dict[str, Any]:
    """Name the pairs' contributors, then confirm the leader by retraining without their items.

    What an item "looks like" is judged by the seed-only baseline model (trusted data only, so a flip in
    the release cannot have taught it anything); without one, by 2-fold cross-fitting on the release.
    """
    k = len(data.names)
    is_new = np.array([h not in old_hashes for h in data.train_hashes])
    pairs = comparison.get("pairs", [])
    if not pairs:  # an accuracy-only alert: no pair to explain, report the classes
        return attribute_pairs(
            probs=np.zeros((0, k)),
            labels=np.zeros(0, dtype=np.int64),
            contributors=[],
            is_new=np.zeros(0, dtype=bool),
            pairs=[],
            classes=comparison.get("classes", []),
            names=data.names,
        ).to_json()
    judge = baseline.model()
    if judge is not None:
        probs, judged_by = judge.predict_proba(data.train_x), "the seed-only baseline model"
    else:
        probs = cross_fitted(data.train_x, data.train_y, data.train_hashes, k, settings.epochs, settings.seed)
        judged_by = "2-fold cross-fitting on the release"
    attribution = attribute_pairs(
        probs=probs,
        labels=data.train_y,
        contributors=data.train_contributors,
        is_new=is_new,
        pairs=pairs,
        classes=comparison.get("classes", []),
        names=data.names,
    )
    if attribution.contributors:
        leader = str(attribution.contributors[0]["contributor"])
        label = str(pairs[0]["from"])
        keep = np.array([who != leader for who in data.train_contributors])
        if keep.any() and len(set(data.train_y[keep].tolist())) >= 2:
            model = train(data.train_x[keep], data.train_y[keep], k, settings.epochs, settings.seed)
            without = evaluate(model, data.heldout_x, data.heldout_y, data.names)
            now = float(result.per_class[label]["true_prob"])
            back = float(without.per_class[label]["true_prob"])
            attribution.confirmations.append(
                {
                    "group": "contributor",
                    "contributor": leader,
                    "items_left_out": int((~keep).sum()),
                    "label": label,
                    "true_prob_now": round(now, 4),
                    "true_prob_without": round(back, 4),
                    "recovered": round(back - now, 4),
                    "accuracy_without": without.accuracy,
                }
            )
    return {**attribution.to_json(), "judged_by": judged_by}


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


def fail(db: Session, metric: ReleaseMetric, error: str) -> None:
    """Mark a measurement failed, with its audit entry (also for runs a stopped server interrupted)."""
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

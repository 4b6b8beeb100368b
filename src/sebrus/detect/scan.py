"""The one high-level entry point: scan a labelled image set and say which items look poisoned, and why.

Used by ``sebrus detect`` and by the platform's background scans. ``scan`` reads as its stages, one short
function each:

1. ``_validate``: refuse inputs the stages would misread.
2. ``_pool``: how the owner's seed set is split (``trusted_plan.plan_trusted``): a *reference* part the
   trusted detectors compare with or train on, and a *calibration* part mixed into the data, scored like
   every item, that tells the ensemble what clean scores look like. The plan says in words what the seed
   set was used for; the web and CLI show that sentence rather than claims of their own.
3. The models (``scan_models``): a shared model on everything (its hidden layer feeds the clustering
   detectors), cross-fitted probabilities for confident learning, and with a reference the trusted
   and anchored models.
4. ``_data_detectors`` and ``_trusted_detectors``: every detector fitted on the pool.
5. ``combine`` (in ``ensemble``) at a false-discovery rate; then ``_contributor_stage`` tests
   contributors as groups (``scan_contributors``) and re-tests the items of flagged (or owner-suspected)
   contributors with weighted BH.
6. ``_summary``, ``_run_details`` and ``_result``: what the report, the scan page and the CLI show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from sebrus.detect.activation_clustering import ActivationClustering
from sebrus.detect.backdoor import EarlyLossIsolation, class_share_z
from sebrus.detect.base import DetectorResult
from sebrus.detect.class_signal import ClassSignal
from sebrus.detect.ensemble import EnsembleResult, combine
from sebrus.detect.input_checks import NoiseLevel, PatchTrigger
from sebrus.detect.label_issues import LabelIssues
from sebrus.detect.models import ImageClassifier, item_losses, validate_images
from sebrus.detect.operating_point import choose_flags
from sebrus.detect.scan_contributors import (
    ContributorReport,
    contributor_reports,
    item_weights,
    rank_contributors,
)
from sebrus.detect.scan_models import Pool, TrustedModels, out_of_fold_stage, shared_stage, trusted_stage
from sebrus.detect.spectral import SpectralSignatures
from sebrus.detect.trusted_plan import TrustedPlan, plan_trusted

Progress = Callable[[str, float], None]

__all__ = ["ContributorReport", "Progress", "ScanResult", "default_epochs", "scan"]


@dataclass(frozen=True)
class ScanResult:
    """Per-item suspicion, flags and reasons for the data items (in input order), and the scan's summary."""

    suspicion: np.ndarray
    flagged: np.ndarray
    reasons: list[list[dict[str, Any]]]
    embedding_2d: np.ndarray
    detector_scores: dict[str, np.ndarray]
    #: each detector alone, at the scan's operating point (its own BH at ``fdr``, or ``fpr``)
    detector_flags: dict[str, np.ndarray]
    contributors: list[ContributorReport]
    threshold: float
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form for ``json.dumps``: one entry per item, in input order."""
        items = [
            {
                "index": i,
                "suspicion": round(float(self.suspicion[i]), 4),
                "flagged": bool(self.flagged[i]),
                "reasons": self.reasons[i],
                "embedding": [round(float(v), 4) for v in self.embedding_2d[i]],
            }
            for i in range(len(self.suspicion))
        ]
        contributors = [
            {"id": c.id, "n_items": c.n_items, "score": round(c.score, 4), "flagged": c.flagged, **c.evidence}
            for c in self.contributors
        ]
        return {
            "items": items,
            "contributors": contributors,
            "threshold": self.threshold if np.isfinite(self.threshold) else None,
            "summary": self.summary,
        }


def default_epochs(n_items: int) -> int:
    """About 32k sample-visits: ~96% on MNIST-5k (9 epochs), and 3 epochs at 10k to stay within a minute."""
    return int(np.clip(round(32_000 / max(n_items, 1)), 3, 15))


def scan(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    contributors: np.ndarray | None = None,
    trusted_images: np.ndarray | None = None,
    trusted_labels: np.ndarray | None = None,
    model: ImageClassifier | None = None,
    fdr: float = 0.05,
    fpr: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    epochs: int | None = None,
    suspect_contributors: Sequence[str] = (),
) -> ScanResult:
    """Scan ``images`` (float32 in [0, 1], (N, H, W) or (N, H, W, C)) with int ``labels``.

    ``contributors``: per-item contributor ids, enabling contributor-level tests.
    ``trusted_images``/``trusted_labels``: the owner's vetted seed set; strongly recommended, it powers
    the anchored model, the trigger and class-signal checks and the calibration.
    ``model``: an uploaded classifier whose hidden layer replaces the shared model's for clustering.
    ``fdr``: the default operating point, the expected share of clean items among the flags.
    ``fpr``: an explicit per-item false-positive rate instead (the old operating point).
    ``suspect_contributors``: contributor ids named before the scan (a revocation): each is tested as one
    pre-specified group, and their items are tested at a laxer level.
    """
    clock = _Clock(progress)
    n_classes = _validate(images, labels, contributors, trusted_images, trusted_labels, model)
    plan = plan_trusted(trusted_labels, seed)
    pool, trusted = _pool(images, labels, trusted_images, trusted_labels, plan, n_classes, epochs, seed)
    clock.start("shared model")
    embedder, embeddings, early_loss = shared_stage(pool, model)
    clock.mark("shared model", 0.25)
    oof = out_of_fold_stage(pool)
    clock.mark("cross-validated models", 0.55)
    results = _data_detectors(pool, embedder, embeddings, oof, trusted)
    abl = EarlyLossIsolation().fit(
        early_loss, pool.y, reference_labels=trusted.y if trusted is not None else None
    )
    models: TrustedModels | None = None
    if trusted is not None:
        models = trusted_stage(pool, trusted.x, trusted.y)
        results += _trusted_detectors(pool, trusted, models)
        clock.mark("trusted models", 0.8)
    calibration_mask = pool.is_cal if plan.has_calibration else None
    combine_at = partial(combine, results, labels=pool.y, calibration_mask=calibration_mask, fdr=fdr, fpr=fpr)
    ensemble, reports, notes = _contributor_stage(
        combine_at, combine_at(), contributors, suspect_contributors, oof, models, images, labels, trusted
    )
    clock.mark("ensemble and contributors", 0.95)
    n = len(labels)
    projection = PCA(n_components=2, random_state=seed).fit_transform(embeddings)[:n]
    summary = _summary(
        ensemble, results, ensemble.flagged[:n], plan, reports, n=n, n_classes=n_classes, fdr=fdr, fpr=fpr
    )
    summary.update(_run_details(images, labels, trusted, n_classes, abl, model, pool, models, clock, notes))
    clock.done()
    return _result(ensemble, results, projection, reports, summary, n=n, fdr=fdr, fpr=fpr)


@dataclass(frozen=True)
class _Trusted:
    """The reference part of the seed set; its calibration part lives in the pool, marked ``is_cal``."""

    x: np.ndarray
    y: np.ndarray


class _Clock:
    """Per-stage seconds for the summary, and progress for the caller (the scan page shows the stage)."""

    def __init__(self, progress: Progress | None) -> None:
        self.started = self._t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._report: Progress = progress or (lambda stage, frac: None)

    def start(self, stage: str) -> None:
        """Announce the first stage at 0% and start its clock."""
        self._t0 = time.perf_counter()
        self._report(stage, 0.0)

    def mark(self, stage: str, frac: float) -> None:
        """Record the stage just finished, report the progress reached, and start the next stage's clock."""
        self.timings[stage] = round(time.perf_counter() - self._t0, 2)
        self._report(stage, frac)
        self._t0 = time.perf_counter()

    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 2)

    def done(self) -> None:
        self._report("done", 1.0)


def _validate(
    images: np.ndarray,
    labels: np.ndarray,
    contributors: np.ndarray | None,
    trusted_images: np.ndarray | None,
    trusted_labels: np.ndarray | None,
    model: ImageClassifier | None,
) -> int:
    """Refuse inputs the stages would misread; returns the number of classes."""
    validate_images(images, labels)
    if contributors is not None and len(contributors) != len(labels):
        raise ValueError(f"contributors has {len(contributors)} entries for {len(labels)} items")
    if (trusted_images is None) != (trusted_labels is None):
        raise ValueError("give both trusted_images and trusted_labels, or neither")
    if trusted_images is not None and trusted_labels is not None:
        validate_images(trusted_images, trusted_labels)
        if trusted_images.shape[1:] != images.shape[1:]:
            raise ValueError(
                f"trusted images have shape {trusted_images.shape[1:]}, data has {images.shape[1:]}"
            )
    n_classes = int(max(labels.max(), trusted_labels.max() if trusted_labels is not None else 0) + 1)
    if model is not None and model.n_classes < n_classes:
        raise ValueError(f"the uploaded model has {model.n_classes} classes, the data needs {n_classes}")
    return n_classes


def _pool(
    images: np.ndarray,
    labels: np.ndarray,
    trusted_images: np.ndarray | None,
    trusted_labels: np.ndarray | None,
    plan: TrustedPlan,
    n_classes: int,
    epochs: int | None,
    seed: int,
) -> tuple[Pool, _Trusted | None]:
    """The data followed by the plan's calibration items, and the plan's reference part (if any).

    Calibration items join the pool because their scores are only a clean null when they are scored
    exactly like the data: by the same models, which therefore train on them too. The reference part
    stays out: it is what the trusted detectors compare the pool with, and what the anchored model is
    anchored on. Without a reference the pool is the data alone and the scan calibrates on itself.
    """
    n = len(labels)
    trusted: _Trusted | None = None
    pool_x, pool_y = images, labels
    if plan.has_reference and trusted_images is not None and trusted_labels is not None:
        trusted = _Trusted(trusted_images[plan.reference_idx], trusted_labels[plan.reference_idx])
        pool_x = np.concatenate([images, trusted_images[plan.calibration_idx]])
        pool_y = np.concatenate([labels, trusted_labels[plan.calibration_idx]])
    is_cal = np.zeros(len(pool_y), dtype=bool)
    is_cal[n:] = True
    return Pool(pool_x, pool_y, is_cal, n_classes, epochs or default_epochs(len(pool_y)), seed), trusted


def _data_detectors(
    pool: Pool, embedder: ImageClassifier, embeddings: np.ndarray, oof: np.ndarray, trusted: _Trusted | None
) -> list[DetectorResult]:
    """The detectors that run on every scan, reference or not.

    Confident learning reads the out-of-fold probabilities; the clustering detectors read the embedder's
    hidden layer, which has the trigger learned. A reference, when there is one, still helps two of them:
    activation clustering only counts a small cluster that the trusted items avoid, and the noise level
    is scaled by the trusted images' noise rather than the data's own.
    """
    reference = (
        {"reference": embedder.embed(trusted.x).astype(np.float64), "reference_labels": trusted.y}
        if trusted is not None
        else {}
    )
    return [
        LabelIssues(name="label_issues").fit_result(oof, pool.y),
        ActivationClustering(seed=pool.seed).fit_result(embeddings, pool.y, **reference),
        SpectralSignatures().fit_result(embeddings, pool.y),
        NoiseLevel().fit_result(pool.x, pool.y, reference_images=trusted.x if trusted is not None else None),
    ]


def _trusted_detectors(pool: Pool, trusted: _Trusted, models: TrustedModels) -> list[DetectorResult]:
    """The detectors that need the reference: each asks how the data differs from trusted items.

    The anchored label check reads the anchored models' cross-fitted probabilities; the trigger-position
    and class-signal checks compare pixels with the reference. Class signal also gets the calibration
    items as trusted rows of the pool (``reference_mask``), scored cross-fitted like the items it tests.
    """
    refs = {"reference_images": trusted.x, "reference_labels": trusted.y}
    return [
        LabelIssues(name="trusted_label_issues").fit_result(models.anchored_probs, pool.y),
        PatchTrigger().fit_result(pool.x, pool.y, **refs),
        ClassSignal().fit_result(pool.x, pool.y, **refs, reference_mask=pool.is_cal),
    ]


def _contributor_stage(
    combine_at: Callable[..., EnsembleResult],
    ensemble: EnsembleResult,
    contributors: np.ndarray | None,
    suspects: Sequence[str],
    oof: np.ndarray,
    models: TrustedModels | None,
    images: np.ndarray,
    labels: np.ndarray,
    trusted: _Trusted | None,
) -> tuple[EnsembleResult, list[ContributorReport], list[str]]:
    """Contributors tested as groups; raised contributors' items re-tested with weighted BH.

    It runs after a first combination because the weights come from each contributor's excess of
    suspicious items, and it re-combines only when someone was flagged or named before the scan, so a
    scan with no suspect contributor flags exactly what the first combination did. The loss evidence
    comes from the trusted model where there is one: under the shared model a backdoor's items have the
    *lower* loss (see ``contributors``). Returns the ensemble, the reports and notes for the summary.
    """
    if contributors is None:
        return ensemble, [], []
    owners = np.asarray(contributors).astype(str)
    test = rank_contributors(ensemble, owners, suspects)
    weights = item_weights(test, ensemble, owners)
    if weights is not None:
        ensemble = combine_at(weights=weights)
    n = len(labels)
    losses = models.loss[:n] if models is not None else item_losses(oof[:n], labels)
    reports = contributor_reports(
        owners,
        test,
        losses,
        models.model if models is not None else None,
        images,
        labels,
        trusted.x if trusted is not None else None,
        trusted.y if trusted is not None else None,
    )
    notes = (
        []
        if models is not None
        else ["contributor losses come from cross-validated models, not a trusted one"]
    )
    return ensemble, reports, notes


def _summary(
    ensemble: EnsembleResult,
    results: list[DetectorResult],
    flagged: np.ndarray,
    plan: TrustedPlan,
    contributors: list[ContributorReport],
    *,
    n: int,
    n_classes: int,
    fdr: float,
    fpr: float | None,
) -> dict[str, Any]:
    """What was found, in the numbers the scan row, the CLI and the report read (the plan's sentence too)."""
    point = ensemble.operating_point.as_dict()
    return {
        "n_items": n,
        "n_flagged": int(flagged.sum()),
        "n_classes": n_classes,
        "fpr": fpr,
        "fdr": None if fpr is not None else fdr,
        "operating_point": point,
        "expected_false_positives": point["expected_false_positives"],
        "expected_precision": point["expected_precision"],
        "threshold": ensemble.threshold if np.isfinite(ensemble.threshold) else None,
        "detectors": [r.name for r in results],
        "flags_per_detector": {
            r.name: int(sum(1 for rs in ensemble.reasons[:n] if any(x.detector == r.name for x in rs)))
            for r in results
        },
        "calibration": ensemble.calibration,
        "trusted": plan.as_dict(),
        "n_trusted": plan.n_trusted,
        "n_contributors": len(contributors),
        "n_contributors_flagged": sum(c.flagged for c in contributors),
    }


def _run_details(
    images: np.ndarray,
    labels: np.ndarray,
    trusted: _Trusted | None,
    n_classes: int,
    abl: EarlyLossIsolation,
    model: ImageClassifier | None,
    pool: Pool,
    models: TrustedModels | None,
    clock: _Clock,
    notes: list[str],
) -> dict[str, Any]:
    """How the scan ran, beside what it found: the report shows it so a reader can judge the flags.

    The class-share check names a class that grew against the trusted labels, the one symptom an
    all-to-one backdoor cannot hide; the model, epochs and anchored-model share say what was trained.
    """
    share = (
        {int(c): round(float(z), 2) for c, z in enumerate(class_share_z(labels, trusted.y, n_classes))}
        if trusted is not None
        else {}
    )
    return {
        "image_shape": list(images.shape[1:]),
        "class_share_z": share,
        "overrepresented_classes": abl.evidence_.get("overrepresented_classes", []),
        "model": "uploaded" if model is not None else "reference CNN",
        "epochs": pool.epochs,
        "anchored_model": models.notes if models is not None else {},
        "timings_s": clock.timings,
        "seconds": clock.seconds(),
        "notes": notes,
    }


def _result(
    ensemble: EnsembleResult,
    results: list[DetectorResult],
    projection: np.ndarray,
    reports: list[ContributorReport],
    summary: dict[str, Any],
    *,
    n: int,
    fdr: float,
    fpr: float | None,
) -> ScanResult:
    """The data items' share of every per-item array: calibration items were there to be compared with.

    Each detector's own flags are at the scan's operating point (its own BH at ``fdr``, or ``fpr``), so
    the report can say what each would have flagged alone.
    """
    return ScanResult(
        suspicion=ensemble.suspicion[:n],
        flagged=ensemble.flagged[:n],
        reasons=[[r.as_dict() for r in rs] for rs in ensemble.reasons[:n]],
        embedding_2d=projection,
        detector_scores={r.name: r.scores[:n] for r in results},
        detector_flags={
            name: choose_flags(p[:n], fdr=fdr, fpr=fpr)[0] for name, p in ensemble.p_values.items()
        },
        contributors=reports,
        threshold=ensemble.threshold,
        summary=summary,
    )

"""Label issues by confident learning (Northcutt et al. 2021), without AGPL code on the default path.

cleanlab implements this, but it is AGPL-licensed, so it is only an optional extra here
(``backend="cleanlab"``). The default is our own implementation of the same rule: a per-class confidence
threshold (the mean self-confidence of items given that label), the confident joint built from it, and
an item is an issue when it confidently belongs to a class other than its label.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Self

import numpy as np

from sebrus.detect.base import PoisonDetector
from sebrus.detect.models import ImageClassifier, train_reference_model


def _check_probs(probs: np.ndarray, labels: np.ndarray) -> None:
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must have shape ({len(labels)}, n_classes), got {probs.shape}")
    if labels.max(initial=0) >= probs.shape[1]:
        raise ValueError(f"a label ({labels.max()}) is outside the model's {probs.shape[1]} classes")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("each row of probs must sum to 1")


def confident_learning_mask(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Boolean mask of likely label errors from out-of-sample ``probs`` (confident-joint rule)."""
    _check_probs(probs, labels)
    n_classes = probs.shape[1]
    thresholds = np.array(
        [probs[labels == c, c].mean() if np.any(labels == c) else 1.0 for c in range(n_classes)]
    )
    above = probs >= thresholds[None, :] - 1e-9
    masked = np.where(above, probs, -1.0)
    confident_class = masked.argmax(axis=1)
    has_confident = above.any(axis=1)
    return np.asarray(has_confident & (confident_class != labels))


def self_confidence_scores(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Log-odds of the best other class against the given label (positive = the label looks wrong).

    A log scale rather than cleanlab's bounded margin: the ensemble extrapolates score tails, which needs
    scores that keep separating confident mistakes from borderline ones.
    """
    _check_probs(probs, labels)
    # Floor at 1e-300, not 1e-12: a 1e-12 floor capped the score at 27.6, where the anchored model's
    # most confident mistakes (poisoned or not) all tied, so their calibrated p-values could not order them.
    clipped = np.clip(probs, 1e-300, 1.0)
    given = clipped[np.arange(len(labels)), labels]
    others = clipped.copy()
    others[np.arange(len(labels)), labels] = 0.0
    return np.asarray(np.log(others.max(axis=1)) - np.log(given), dtype=np.float64)


class LabelIssues(PoisonDetector):
    """Confident learning on out-of-sample probabilities; ``X`` is the (N, K) probability matrix.

    ``name`` is configurable because the scan runs it twice: on cross-validated probabilities of the
    dataset itself, and on probabilities from a model anchored on the owner's trusted seed set.
    """

    def __init__(
        self, backend: Literal["builtin", "cleanlab"] = "builtin", name: str = "label_issues"
    ) -> None:
        self.backend = backend
        self.name = name

    def fit(self, X: np.ndarray, y: np.ndarray) -> Self:
        _check_probs(X, y)
        if self.backend == "cleanlab":
            try:
                from cleanlab.filter import find_label_issues
            except ImportError as exc:
                raise RuntimeError("backend='cleanlab' needs the optional 'cleanlab' extra (AGPL)") from exc
            flags = np.asarray(find_label_issues(labels=y, pred_probs=X), dtype=bool)
        elif self.backend == "builtin":
            flags = confident_learning_mask(X, y)
        else:
            raise ValueError(f"unknown backend {self.backend!r}; expected 'builtin' or 'cleanlab'")
        self.scores_ = self_confidence_scores(X, y)
        self.flags_ = flags
        self.evidence_ = {"backend": self.backend, "n_issues": int(flags.sum())}
        return self


def find_label_issues(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """cleanlab-style functional entry point: out-of-sample probabilities in, issue mask out."""
    return confident_learning_mask(probs, labels)


ModelFactory = Callable[[np.ndarray, np.ndarray, int], ImageClassifier]


def out_of_fold_probabilities(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    n_folds: int = 3,
    n_classes: int | None = None,
    seed: int = 0,
    train: ModelFactory | None = None,
    epochs: int = 4,
) -> np.ndarray:
    """Probabilities for every item from a model that never saw it (stratified K-fold)."""
    from sklearn.model_selection import StratifiedKFold

    k = int(n_classes if n_classes is not None else labels.max() + 1)
    min_count = np.bincount(labels, minlength=k)[np.bincount(labels, minlength=k) > 0].min()
    folds = max(2, min(n_folds, int(min_count)))
    probs = np.zeros((len(labels), k), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (fit_idx, held_idx) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        if train is None:
            model: ImageClassifier = train_reference_model(
                images[fit_idx], labels[fit_idx], n_classes=k, epochs=epochs, seed=seed + fold
            )
        else:
            model = train(images[fit_idx], labels[fit_idx], k)
        probs[held_idx] = model.predict_proba(images[held_idx])
    return probs

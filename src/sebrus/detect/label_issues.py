"""Label issues by confident learning (Northcutt et al. 2021), without AGPL code on the default path.

cleanlab implements this, but it is AGPL-licensed, so it is only an optional extra here
(``backend="cleanlab"``). The default is our own implementation of the same rule, cleanlab's
``filter_by="confident_learning"``: a per-class confidence threshold (the mean self-confidence of items
given that label), the confident joint built from it, and an item is an issue when it confidently
belongs to a class other than its label and the model does not rank its label first.
:func:`find_label_issues` takes cleanlab's arguments in cleanlab's order, so either backend answers the
same call with the same mask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Self

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


Backend = Literal["builtin", "cleanlab"]

#: cleanlab's tolerance for "at least the threshold" and for "the label is the model's top class".
_TOLERANCE = 1e-6


def confident_learning_mask(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Boolean mask of likely label errors from out-of-sample ``probs`` (confident-joint rule).

    cleanlab's ``filter_by="confident_learning"`` step by step (``count.compute_confident_joint`` and
    ``filter.find_label_issues``, 2.9.0), so the optional backend and this one flag the same items: a
    class absent from ``labels`` gets an unreachable threshold; with several confident classes the
    model's top class is the guess; an item whose label the model ranks first is never an issue.
    """
    _check_probs(probs, labels)
    n_classes = probs.shape[1]
    thresholds = np.array(
        [probs[labels == c, c].mean() if np.any(labels == c) else 2.0 for c in range(n_classes)]
    )
    confident = probs >= thresholds[None, :] - _TOLERANCE
    n_confident = confident.sum(axis=1)
    guess = np.where(n_confident > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    rows = np.arange(len(labels))
    label_first = probs.copy()
    label_first[rows, labels] += _TOLERANCE
    predicted_as_labelled = label_first.argmax(axis=1) == labels
    return np.asarray((n_confident > 0) & (guess != labels) & ~predicted_as_labelled)


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
    ``filter_by`` is cleanlab's; the builtin backend has ``"confident_learning"`` only.
    """

    def __init__(
        self,
        backend: Backend = "builtin",
        name: str = "label_issues",
        filter_by: str = "confident_learning",
    ) -> None:
        self.backend = backend
        self.name = name
        self.filter_by = filter_by

    def fit(self, X: np.ndarray, y: np.ndarray) -> Self:
        flags = find_label_issues(y, X, filter_by=self.filter_by, backend=self.backend)
        self.scores_ = self_confidence_scores(X, y)
        self.flags_ = flags
        self.evidence_ = {"backend": self.backend, "n_issues": int(flags.sum())}
        return self


def find_label_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    filter_by: str = "confident_learning",
    backend: Backend = "builtin",
    **cleanlab_kwargs: Any,
) -> np.ndarray:
    """Issue mask from out-of-sample ``pred_probs``: ``cleanlab.filter.find_label_issues``'s call.

    Same argument order and names as cleanlab, with its ``"confident_learning"`` rule as the default (not
    cleanlab's own default, ``"prune_by_noise_rate"``), so that both backends flag the same items.
    ``backend="cleanlab"`` hands the call, ``cleanlab_kwargs`` included, to cleanlab (the optional, AGPL
    extra); the builtin backend implements ``"confident_learning"`` and refuses other rules rather than
    answer a different question.
    """
    labels = np.asarray(labels)
    _check_probs(pred_probs, labels)
    if backend == "cleanlab":
        try:
            from cleanlab.filter import find_label_issues as cleanlab_find_label_issues
        except ImportError as exc:
            raise RuntimeError("backend='cleanlab' needs the optional 'cleanlab' extra (AGPL)") from exc
        mask = cleanlab_find_label_issues(labels, pred_probs, filter_by=filter_by, **cleanlab_kwargs)
        return np.asarray(mask, dtype=bool)
    if backend != "builtin":
        raise ValueError(f"unknown backend {backend!r}; expected 'builtin' or 'cleanlab'")
    if filter_by != "confident_learning" or cleanlab_kwargs:
        raise ValueError(
            f"the builtin backend implements filter_by='confident_learning' with no options (got "
            f"{filter_by!r}, {sorted(cleanlab_kwargs)}); use backend='cleanlab' for cleanlab's other rules"
        )
    return confident_learning_mask(pred_probs, labels)


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

"""The one interface every detector follows, and the result it hands to the ensemble.

Detectors are scikit-learn estimators (``BaseEstimator``): ``__init__`` stores hyper-parameters and
nothing else, so ``get_params``, ``set_params`` and ``clone`` work; data, the owner's trusted reference
set included, goes to ``fit(X, y, *, reference_images=..., reference_labels=...)``; learned attributes
end in ``_`` and ``check_is_fitted`` guards them. Each one's ``X`` is whatever it naturally reads
(embeddings, probabilities, images), so it can be used without the rest of the pipeline. Scores always
point the same way, higher means more suspicious, so the ensemble can calibrate them without knowing the
detector.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


@dataclass(frozen=True)
class DetectorResult:
    """Per-item scores (higher = more suspicious), the detector's own flags, and evidence for reviewers."""

    name: str
    scores: np.ndarray
    flags: np.ndarray
    evidence: dict[str, Any] = field(default_factory=dict)
    #: scores whose clean range differs by class (model confidence, cluster margins): the ensemble scales
    #: them per class before pooling them into one calibration null
    class_dependent: bool = False
    #: p-values the detector computed against its own trusted null; the ensemble then uses them as they are
    p_values: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.scores.shape != self.flags.shape or self.scores.ndim != 1:
            raise ValueError(f"{self.name}: scores and flags must be 1-D arrays of one length")


class PoisonDetector(BaseEstimator, ABC):
    """Subclasses set ``name`` and implement ``fit``, which must set ``scores_`` and ``flags_``.

    Detectors score the items they were fitted on (poison is judged within its data set), so the fitted
    output is read through :meth:`result`, which raises scikit-learn's ``NotFittedError`` before ``fit``.
    """

    name: str = "detector"
    class_dependent: bool = False
    scores_: np.ndarray
    flags_: np.ndarray
    evidence_: dict[str, Any]

    @abstractmethod
    def fit(self, X: np.ndarray, y: np.ndarray) -> Self: ...

    def result(self) -> DetectorResult:
        check_is_fitted(self, ("scores_", "flags_"))
        return DetectorResult(
            self.name,
            self.scores_,
            self.flags_,
            dict(getattr(self, "evidence_", {})),
            class_dependent=self.class_dependent,
        )

    def fit_result(self, X: np.ndarray, y: np.ndarray, **fit_params: Any) -> DetectorResult:
        """``fit(X, y, **fit_params)`` then ``result()``: ``fit_params`` carry the trusted reference data."""
        return self.fit(X, y, **fit_params).result()


def check_features(X: np.ndarray, y: np.ndarray, what: str = "features") -> None:
    if X.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (N, D), got shape {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"labels must have shape ({len(X)},), got {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{what} contain NaN or infinite values")


def robust_z(values: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 * MAD), with a floor so a constant column does not divide by zero."""
    med = np.median(values)
    mad = 1.4826 * np.median(np.abs(values - med))
    scale = max(mad, 1e-6 * max(1.0, float(np.abs(values).max(initial=0.0))), 1e-12)
    return np.asarray((values - med) / scale, dtype=np.float64)


def per_class_robust_z(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Robust z within each class, so classes with wider natural spread do not dominate."""
    out = np.zeros(len(values), dtype=np.float64)
    for c in np.unique(labels):
        sel = labels == c
        out[sel] = robust_z(values[sel])
    return out

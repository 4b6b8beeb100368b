"""A signal added consistently to many items of a class: the trace clean-label triggers cannot avoid.

SIG (Barni et al. 2019) adds a faint sinusoid to target-class images and keeps their labels; a ramp, a
blended key, a patch or Zeng et al.'s frequency artefacts do the same in other bases. None needs a wrong
label, and the faint ones stay below every pixel threshold (SIG's sinusoid peaks at 0.08). What they
share: the poisoned items of a class carry one fixed additive pattern, so the class's mean in the data
moves away from its mean in the owner's trusted seed set along that pattern, and the poisoned items lie
far along it.

Per class (and for all classes together, for triggers spread over classes), in two bases (pixels, where
patches are sparse, and the orthonormal 2-D Fourier basis, where periodic signals are):

1. the direction: the data-minus-trusted mean difference over the coefficients whose difference is at
   least ``t_min`` standard errors, divided by the data's variance (a diagonal linear discriminant);
2. the test: trusted items are projected on the direction built without them (leave-one-out), data items
   on the full one. Under "this group holds no added pattern" a trusted item is as likely as a data item
   to lie in the data's upper tail, so the count of trusted items above the data's 50th, 75th, 90th and
   95th percentiles is binomial; the smallest of the four p-values (Bonferroni over them, the groups and
   the bases) decides whether the group has a pattern at all;
3. the p-value, only in groups that have one: the item's projection against the trusted items'
   cross-fitted projections, with an exponential tail fitted above their median (a Student-t tail
   flagged the clean tail of 3,700 items against 200 trusted ones; projections on a sparse direction
   are skewed). Elsewhere it is 1. The detector hands the ensemble these p-values
   rather than raw scores: a null pooled over classes would be mostly "no pattern" zeros, against which
   every clean item of a patterned class looked extreme (SIG: 483 flags for 190 poisoned items).

Why a test on the direction and not per coefficient: with 10 trusted items of a class, no single pixel
can show much (a feature half the class has is absent from all ten with probability 0.001, however
strong it is), and a coefficient-wise Bonferroni bound over thousands of coefficients missed SIG
entirely. One test per direction spends the evidence once.

The same statistics see a large one-class label flip (the class's mean moves towards the source class),
which is why the ensemble places this detector in the first tier beside the pixel checks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Self

import numpy as np
from scipy import stats

from sebrus.detect.base import DetectorResult, PoisonDetector
from sebrus.detect.models import validate_images
from sebrus.detect.tail import TailCalibrator


def _bases(images: np.ndarray) -> dict[str, np.ndarray]:
    """(N, D) features per basis: the pixels, and the real and imaginary parts of the orthonormal 2-D FFT."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    spectrum = np.fft.rfft2(x, axes=(1, 2), norm="ortho")
    n = len(x)
    fourier = np.concatenate([spectrum.real.reshape(n, -1), spectrum.imag.reshape(n, -1)], axis=1)
    return {"pixels": x.reshape(n, -1), "fourier": fourier.astype(np.float32)}


#: Data quantiles at which the trusted items' share above is tested.
TAIL_QUANTILES = (0.5, 0.75, 0.9, 0.95)


def _tail_test(data_proj: np.ndarray, ref_proj: np.ndarray) -> float:
    """Smallest binomial p-value (times the number of quantiles) of "trusted items reach the data's tail"."""
    best = 1.0
    for q in TAIL_QUANTILES:
        cut = float(np.quantile(data_proj, q))
        above = int(np.sum(ref_proj >= cut))
        best = min(best, float(stats.binom.cdf(above, len(ref_proj), 1.0 - q)))
    return min(1.0, best * len(TAIL_QUANTILES))


class ClassSignal(PoisonDetector):
    """Items far along a class's data-minus-trusted direction, where that direction is significant.

    ``alpha``: family-wise level of the group tests (Bonferroni over groups and bases); ``t_min``: the
    coefficients that shape a direction; ``min_reference``: trusted items a class needs to be tested.
    """

    name = "class_signal"

    def __init__(
        self,
        alpha: float = 0.01,
        t_min: float = 2.0,
        min_reference: int = 4,
        shrinkage: float = 0.1,
        n_folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.alpha = alpha
        self.n_folds = n_folds
        self.seed = seed
        self.shrinkage = shrinkage
        self.t_min = t_min
        self.min_reference = min_reference

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        reference_images: np.ndarray | None = None,
        reference_labels: np.ndarray | None = None,
        reference_mask: np.ndarray | None = None,
    ) -> Self:
        """``reference_mask`` marks rows of ``X`` that are trusted too (calibration items): they join the
        trusted side and are scored cross-fitted, like the trusted items the test counts, so their scores
        are a sample of what the test calls clean."""
        validate_images(X, y)
        in_x = np.zeros(len(X), dtype=bool) if reference_mask is None else np.asarray(reference_mask, bool)
        if reference_images is None or reference_labels is None:
            if not in_x.any():
                raise ValueError(
                    "ClassSignal needs trusted reference images (reference_images/reference_labels or "
                    "reference_mask): a pattern is only a trigger when the trusted images of its class "
                    "lack it"
                )
            reference_images, reference_labels = X[:0], y[:0]
        if reference_images.shape[1:] != X.shape[1:]:
            raise ValueError(f"reference images have shape {reference_images.shape[1:]}, data {X.shape[1:]}")
        all_ref = np.concatenate([reference_images, X[in_x]])
        all_ref_y = np.concatenate([reference_labels, y[in_x]])
        ref_rows = np.concatenate([np.full(len(reference_images), -1), np.flatnonzero(in_x)])
        data, ref = _bases(X), _bases(all_ref)
        classes = [int(c) for c in np.unique(y) if np.sum(all_ref_y == c) >= self.min_reference]
        groups: list[tuple[str, np.ndarray, np.ndarray]] = [
            (str(c), (y == c) & ~in_x, all_ref_y == c) for c in classes
        ]
        level = self.alpha / ((len(groups) + 1) * len(data))
        p_values = np.ones(len(X), dtype=np.float64)
        found: dict[str, dict[str, float]] = {}
        tested: dict[str, dict[str, float]] = {}

        def test_group(group: str, in_data: np.ndarray, in_ref: np.ndarray) -> None:
            for basis, features in data.items():
                f_data = features[in_data].astype(np.float64)
                f_ref = ref[basis][in_ref].astype(np.float64)
                data_proj, ref_proj = self._project(f_data, f_ref)
                p = _tail_test(data_proj, ref_proj) if data_proj is not None else 1.0
                tested.setdefault(group, {})[basis] = float(f"{p:.3g}")
                if p > level or data_proj is None:
                    continue
                found.setdefault(group, {})[basis] = float(f"{p:.3g}")
                null = TailCalibrator(0.5).fit(ref_proj)
                members = np.flatnonzero(in_data)
                p_values[members] = np.minimum(p_values[members], null.p_values(data_proj))
                rows = ref_rows[in_ref]
                own = rows >= 0
                p_values[rows[own]] = np.minimum(p_values[rows[own]], null.p_values(ref_proj[own]))

        for group, in_data, in_ref in groups:
            test_group(group, in_data, in_ref)
        # The pooled group is for triggers spread thinly over classes; classes with a pattern of their own
        # leave it, or their pattern would score every other class's items along it.
        rest = [int(g) for g in (str(c) for c in classes) if g not in found]
        test_group("all", np.isin(y, rest) & ~in_x, np.isin(all_ref_y, rest))
        self.p_values_ = np.clip(p_values, 1e-300, 1.0)
        self.scores_ = -np.log10(self.p_values_)
        self.flags_ = self.p_values_ <= self.alpha
        self.evidence_ = {"patterns": found, "group_p_values": tested, "group_level": float(f"{level:.3g}")}
        return self

    def result(self) -> DetectorResult:
        """With the detector's own p-values, which the ensemble uses as they are."""
        return replace(super().result(), p_values=self.p_values_)

    def _project(self, f_data: np.ndarray, f_ref: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """Every item projected on a direction built without it: trusted items cross-fitted in folds.

        The trusted items are split into ``n_folds``; each fold's direction comes from the data and the
        other folds' trusted items, and projects that fold's trusted items and a random share of the data,
        so trusted and data items are scored alike. Leave-one-out looked the same but was not: removing
        an item from the trusted mean pulls the direction towards its own quirks (its odd strokes pass
        the coefficient screen), which put the trusted items' projections well above the clean data's
        and hid a 5% BadNets patch. ``None`` for the data when no fold finds a direction.
        """
        n_d, n_r = len(f_data), len(f_ref)
        if n_d < 2 or n_r < 2:
            return None, np.zeros(n_r)
        var_d = f_data.var(axis=0, ddof=1)
        # Shrunk toward the mean variance (regularised discriminant analysis): dividing by the near-zero
        # variance of background pixels made every clean item with a stray stroke there look extreme.
        var = var_d + self.shrinkage * float(var_d.mean()) + 1e-8
        mean_d = f_data.mean(axis=0)
        n_folds = min(self.n_folds, n_r)
        rng = np.random.default_rng([self.seed, n_d, n_r])
        ref_fold = rng.permutation(n_r) % n_folds
        data_fold = rng.integers(0, n_folds, size=n_d)
        data_proj, ref_proj = np.zeros(n_d), np.zeros(n_r)
        found = False
        for k in range(n_folds):
            train = f_ref[ref_fold != k]
            mean_ref = train.mean(axis=0)
            var_r = train.var(axis=0, ddof=1) if len(train) > 1 else np.zeros_like(var_d)
            # The trusted term uses the larger variance: ten trusted items that happen to agree must not
            # make a coefficient look certain (a feature 30% of a class has is absent from ten of them
            # 3% of the time).
            se = np.sqrt(np.maximum(var_d, var_r) / max(len(train) - 1, 1) + var_d / n_d + 1e-12)
            diff = mean_d - mean_ref
            w = np.where(np.abs(diff) >= self.t_min * se, diff / var, 0.0)
            found = found or bool(w.any())
            ref_proj[ref_fold == k] = (f_ref[ref_fold == k] - mean_ref) @ w
            data_proj[data_fold == k] = (f_data[data_fold == k] - mean_ref) @ w
        return (data_proj if found else None), ref_proj

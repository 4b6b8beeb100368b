"""Empirical p-values from known-clean scores, with an exponential tail where the scores run out."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

#: Items needed before their own quantiles estimate a tail scale (80th-95th percentile: 15% of them).
MIN_DATA_FOR_SCALE = 200
#: Head-room on the data's estimate, for its sampling error (about 5% at 3,000 items).
DATA_SCALE_MARGIN = 1.1


class TailCalibrator(BaseEstimator):
    """Empirical p-values from clean scores, with an exponential tail beyond the ``tail_from`` quantile.

    ``robust=True`` is for scores that may contain the poison itself (no trusted data): the tail's scale
    comes from the spacing of the 50th and 75th percentiles, which up to 25% poison barely moves,
    instead of from the mean excess, which the poison dominates.

    ``data_scores`` (the items being tested, poison included) give a second estimate of the scale from
    the spacing of their 80th and 95th percentiles, over hundreds of items instead of the calibration
    set's twenty. Poison can only make that tail heavier, so the estimate errs on the cautious side, and
    the smaller of it and the calibration bound is used: on MNIST-5k BadNets at 1% the calibration
    bound alone left the anchored label check (AUC 0.998) with no flag at all.
    """

    def __init__(self, tail_from: float = 0.8, robust: bool = False, confidence: float = 0.75) -> None:
        self.tail_from = tail_from
        self.robust = robust
        self.confidence = confidence

    def fit(self, clean_scores: np.ndarray, data_scores: np.ndarray | None = None) -> TailCalibrator:
        s = np.sort(np.asarray(clean_scores, dtype=np.float64))
        if len(s) == 0:
            raise ValueError("calibration needs at least one clean score")
        self.sorted_ = s
        self.u_ = float(np.quantile(s, self.tail_from))
        excess = s[s > self.u_] - self.u_
        spread = float(s[-1] - s[0])
        if self.robust:
            # For an exponential tail above the median, q75 - q50 = beta * ln 2.
            scale = float(np.quantile(s, 0.75) - np.quantile(s, 0.5)) / np.log(2.0)
        else:
            # The larger of two estimates of an exponential tail's scale, the mean excess (its maximum
            # likelihood estimate) and the median excess / ln 2, raised to a one-sided upper confidence
            # bound (``confidence``; 2 k beta_hat / beta is chi-square with 2 k degrees of freedom for k
            # excesses). A point estimate from 20 calibration excesses let the label checks, whose far
            # tails are heavier than exponential, flag clean digits at four times the promised rate;
            # the bound makes a small seed set cautious by itself, and a large one barely pays for it.
            k = len(excess)
            scale = (
                max(float(excess.mean()), float(np.median(excess)) / np.log(2.0))
                * (2 * k / float(stats.chi2.ppf(1.0 - self.confidence, 2 * k)))
                if k
                else 0.0
            )
            if data_scores is not None and len(data_scores) >= MIN_DATA_FOR_SCALE:
                q80, q95 = np.quantile(np.asarray(data_scores, dtype=np.float64), [0.8, 0.95])
                from_data = DATA_SCALE_MARGIN * float(q95 - q80) / np.log(4.0)
                if from_data > 0:
                    scale = min(scale, from_data)
        self.beta_ = max(scale, 1e-3 * spread, 1e-6)
        # No calibration score above u means no tail to extrapolate from: the exponential would get the
        # 1e-6 floor as its scale and call every score above u infinitely significant (on MNIST-5k, any
        # clean item with a near-duplicate when no calibration item had one). Stay empirical then.
        self.has_tail_ = bool(len(excess))
        # The tail starts at P(S > u), not P(S >= u): detectors with a point mass at u (most patch or
        # duplicate scores are exactly 0) would otherwise anchor the tail at p = 1 and never flag.
        self.p_u_ = float((1.0 + np.sum(s > self.u_)) / (1.0 + len(s)))
        return self

    def _empirical(self, scores: np.ndarray) -> np.ndarray:
        n = len(self.sorted_)
        at_least = n - np.searchsorted(self.sorted_, scores, side="left")
        return np.asarray((1.0 + at_least) / (1.0 + n))

    def p_values(self, scores: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "sorted_")
        scores = np.asarray(scores, dtype=np.float64)
        p = self._empirical(scores)
        if not self.has_tail_:
            return np.clip(p, 1e-300, 1.0)
        tail = scores > self.u_
        p[tail] = np.minimum(p[tail], self.p_u_ * np.exp(-(scores[tail] - self.u_) / self.beta_))
        return np.clip(p, 1e-300, 1.0)

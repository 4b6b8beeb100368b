"""One suspicion score per item from many detectors, flagged at a false-positive rate.

Each detector's scores are turned into p-values against calibration items known to be clean (held-out
items of the owner's trusted seed set, scored exactly like every other item). Beyond the calibration
set's 90th percentile the tail is extrapolated as an exponential (peaks over threshold), so strong
outliers get small, ordered p-values instead of all tying at 1/(n+1). The suspicion is
-log10(Bonferroni-corrected smallest p-value); flagging at suspicion >= -log10(fpr) then keeps the
false-positive rate at or below ``fpr`` by the union bound. Without trusted data, each detector's own
score distribution is the null, with the tail fitted above its median from quantile spacing (robust
while the poison stays well under 25%); that is weaker, and the summary says so.

With trusted data the Bonferroni split goes only to detectors that see something. Detectors come in
tiers by how directly their null comes from the trusted set (``TIERS``: the trigger and noise checks
compare pixels with it, then the label checks, the anchored one trained on it, then the checks that
read the data alone). A detector gets a share if the data holds significantly more items beyond its
clean 95th percentile than the calibration items do (one-sided two-proportion z >= 3), counting only
items that no detector of an earlier tier already claimed. An even split over seven detectors gave
each 0.14% at FPR 1%: a targeted flip that only the anchored label check sees lost half its recall,
and detectors with nothing new to find still paid for their own false positives (on MNIST-5k patch
backdoors the trigger check alone claims all the poison; the label checks then only added clean
items). Tiers rather than a ranking by z: with 250 calibration items every strong detector's z
saturates near 5, so a z ranking picks among them by calibration noise (it put the label check ahead
of the noise check on blended triggers). If no detector passes, all share the budget evenly, as before.
The choice rests on counts over the whole data set, not on any one item, so the union bound still
holds for each clean item given it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sebrus.detect.base import DetectorResult


class TailCalibrator:
    """Empirical p-values from clean scores, with an exponential tail beyond the ``tail_from`` quantile.

    ``robust=True`` is for scores that may contain the poison itself (no trusted data): the tail's scale
    comes from the spacing of the 50th and 75th percentiles, which up to 25% poison barely moves,
    instead of from the mean excess, which the poison dominates.
    """

    def __init__(self, tail_from: float = 0.9, robust: bool = False) -> None:
        self.tail_from = tail_from
        self.robust = robust

    def fit(self, clean_scores: np.ndarray) -> TailCalibrator:
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
            scale = float(excess.mean()) if len(excess) else 0.0
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
        scores = np.asarray(scores, dtype=np.float64)
        p = self._empirical(scores)
        if not self.has_tail_:
            return np.clip(p, 1e-300, 1.0)
        tail = scores > self.u_
        p[tail] = np.minimum(p[tail], self.p_u_ * np.exp(-(scores[tail] - self.u_) / self.beta_))
        return np.clip(p, 1e-300, 1.0)


#: Selection of detectors for the Bonferroni split: the share of items at calibrated p <= SELECT_LEVEL (5% of
#: clean items, 12 of 250 calibration items: still an empirical quantile, no extrapolation), and the
#: one-sided z a detector's excess over the calibration items must reach.
SELECT_LEVEL = 0.05
SELECT_Z = 3.0


def _excess_z(hit_data: np.ndarray, hit_cal: np.ndarray) -> float:
    """One-sided two-proportion z: do data items exceed the level more often than calibration items?"""
    n, m = len(hit_data), len(hit_cal)
    if n == 0 or m == 0:
        return float("-inf")
    q, r = float(hit_data.mean()), float(hit_cal.mean())
    pooled = (q * n + r * m) / (n + m)
    se = np.sqrt(max(pooled * (1.0 - pooled), 1e-12) * (1.0 / n + 1.0 / m))
    return float((q - r) / se)


#: Tiers of detectors for the false-positive budget, earliest first; names not listed form a last tier.
TIERS: tuple[tuple[str, ...], ...] = (
    ("patch_trigger", "noise_level"),
    ("trusted_label_issues", "label_issues"),
    ("conflicting_duplicates", "activation_clustering", "spectral_signatures"),
)


def select_detectors(
    p_values: np.ndarray,
    calibration_mask: np.ndarray,
    tiers: list[list[int]],
    *,
    level: float = SELECT_LEVEL,
    z_min: float = SELECT_Z,
) -> dict[int, float]:
    """Detectors (columns of ``p_values``, grouped in ``tiers``) that add evidence of poison, with their z.

    A detector enters when its share of p <= ``level`` among the data items no earlier tier claimed
    exceeds its share among the unclaimed calibration items by ``z_min``. After each tier, the items its
    entrants put under ``level`` count as claimed, so a later detector that finds the same items adds
    nothing, while detectors of one tier are judged side by side.
    """
    chosen: dict[int, float] = {}
    claimed = np.zeros(len(p_values), dtype=bool)
    hits = p_values <= level
    for tier in tiers:
        data, cal = ~calibration_mask & ~claimed, calibration_mask & ~claimed
        entered = [j for j in tier if _excess_z(hits[data, j], hits[cal, j]) >= z_min]
        for j in entered:
            chosen[j] = round(_excess_z(hits[data, j], hits[cal, j]), 2)
            claimed |= hits[:, j]
    return chosen


def _tiers(names: list[str]) -> list[list[int]]:
    """Column indices of ``names`` grouped by ``TIERS``; unlisted detectors make up a last tier."""
    listed = [[names.index(n) for n in tier if n in names] for tier in TIERS]
    rest = [j for j, n in enumerate(names) if not any(n in tier for tier in TIERS)]
    return [t for t in [*listed, rest] if t]


@dataclass(frozen=True)
class Reason:
    detector: str
    strength: float  # -log10 of the detector's calibrated p-value
    flagged_by_detector: bool

    def as_dict(self) -> dict[str, Any]:
        """``score`` is the strength (-log10 p); ``detail`` says it in words for the report."""
        detail = f"calibrated p = {10**-self.strength:.1e}"
        if self.flagged_by_detector:
            detail += "; also over the detector's own threshold"
        return {"detector": self.detector, "score": round(self.strength, 2), "detail": detail}


@dataclass(frozen=True)
class EnsembleResult:
    suspicion: np.ndarray
    flagged: np.ndarray
    reasons: list[list[Reason]]
    threshold: float
    p_values: dict[str, np.ndarray]
    calibration: dict[str, Any]


def combine(
    results: list[DetectorResult],
    *,
    calibration_mask: np.ndarray | None = None,
    fpr: float = 0.05,
) -> EnsembleResult:
    """Calibrate every detector, combine by Bonferroni min-p, flag at ``fpr`` and attach reasons."""
    if not results:
        raise ValueError("combine needs at least one detector result")
    if not 0.0 < fpr < 1.0:
        raise ValueError(f"fpr must lie in (0, 1), got {fpr}")
    n = len(results[0].scores)
    if any(len(r.scores) != n for r in results):
        raise ValueError("all detector results must score the same items")
    trusted = calibration_mask is not None and int(calibration_mask.sum()) >= 20
    p_values: dict[str, np.ndarray] = {}
    for r in results:
        cal = TailCalibrator(0.9) if trusted else TailCalibrator(0.5, robust=True)
        cal.fit(r.scores[calibration_mask] if trusted else r.scores)
        p_values[r.name] = cal.p_values(r.scores)
    names = [r.name for r in results]
    stacked = np.stack([p_values[k] for k in names], axis=1)
    selected: dict[int, float] = {}
    if trusted and calibration_mask is not None:
        selected = select_detectors(stacked, calibration_mask, _tiers(names))
    budget: list[int] = list(selected) if selected else list(range(len(names)))
    corrected = np.clip(stacked[:, budget].min(axis=1) * len(budget), 1e-300, 1.0)
    suspicion = -np.log10(corrected)
    threshold = float(-np.log10(fpr))
    flagged = suspicion >= threshold
    strengths = -np.log10(stacked)
    own = np.stack([r.flags for r in results], axis=1)
    reason_floor = -np.log10(fpr / len(names))
    reasons: list[list[Reason]] = []
    for i in range(n):
        if not flagged[i]:
            reasons.append([])
            continue
        order = np.argsort(-strengths[i])
        items = [
            Reason(names[j], float(strengths[i, j]), bool(own[i, j]))
            for j in order
            if strengths[i, j] >= reason_floor or j == order[0]
        ]
        reasons.append(items)
    calibration: dict[str, Any] = {"method": "trusted holdout" if trusted else "self (no trusted data)"}
    if trusted and calibration_mask is not None:
        calibration["n_calibration_items"] = int(calibration_mask.sum())
        calibration["empirical_fpr_on_calibration"] = float(flagged[calibration_mask].mean())
        calibration["fpr_split"] = (
            {names[j]: z for j, z in selected.items()} if selected else "even (no detector stood out)"
        )
    return EnsembleResult(suspicion, flagged, reasons, threshold, p_values, calibration)

"""One suspicion score per item from many detectors, flagged at a false-discovery rate.

Each detector's scores are turned into p-values against calibration items known to be clean (held-out
items of the owner's trusted seed set, scored exactly like every other item); detectors that know their
own null (the class signal, the trigger-position check) hand over p-values of their own. Beyond the
calibration set's 80th percentile the tail is extrapolated as an exponential (``tail.py``), so strong
outliers get small, ordered p-values instead of all tying at 1/(n+1). The suspicion is
-log10(Bonferroni-corrected smallest p-value over the selected detectors), and ``operating_point``
flags at a false-discovery rate over those (or at an explicit per-item ``fpr``). Without trusted data,
each detector's own score distribution is the null, with the tail fitted above its median from
quantile spacing (robust while the poison stays well under 25%); that is weaker, and the summary says so.

With trusted data the Bonferroni split goes only to detectors that see something. Detectors come in
tiers by how directly their null comes from the trusted set (``TIERS``: the pixel checks against it,
then the label checks, the anchored one trained on it, then the checks that read the data alone). A
detector gets a share when BH on its own p-values, over the items no detector of an earlier tier
already claimed, rejects a few items (``select_detectors``). An even split over seven detectors let
their noise hide the one that saw the poison (random flips: combined F1 0.69 at its best threshold,
0.94 for the label check alone), and detectors with nothing new to find still paid for their own false
positives. Tiers rather than a ranking: strong detectors saturate any ranking, which then picks among
them by calibration noise. If no detector passes, all share the budget evenly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sebrus.detect.base import DetectorResult
from sebrus.detect.operating_point import OperatingPoint, bh_threshold, choose_flags
from sebrus.detect.tail import TailCalibrator
from sebrus.detect.trusted_plan import MIN_CALIBRATION

#: A detector joins the Bonferroni split when Benjamini-Hochberg at ``SELECT_FDR`` on its own p-values,
#: over the data items no earlier tier claimed, rejects at least ``SELECT_MIN_HITS`` items. Selection is a
#: screen, not the decision (the flags still come from BH at the scan's own level over the selected
#: detectors), so it may be lenient: at 1% BadNets the anchored label check's own BH at 5% rejected
#: nothing, the budget went to all seven detectors, and their noise hid its signal.
SELECT_FDR = 0.2
SELECT_MIN_HITS = 3
#: The exceedance screen looks at the calibration set's top ranks up to this share of it (at least one).
EXCEEDANCE_TOP_SHARE = 0.1


#: Tiers of detectors for the false-positive budget, earliest first; names not listed form a last tier.
TIERS: tuple[tuple[str, ...], ...] = (
    ("patch_trigger", "noise_level", "class_signal"),
    ("trusted_label_issues", "label_issues"),
    ("conflicting_duplicates", "activation_clustering", "spectral_signatures"),
)


def select_detectors(
    p_values: np.ndarray,
    calibration_mask: np.ndarray,
    tiers: list[list[int]],
    *,
    fdr: float = SELECT_FDR,
    min_hits: int = SELECT_MIN_HITS,
) -> dict[int, float]:
    """Detectors (columns of ``p_values``, grouped in ``tiers``) that add evidence of poison, with their hits.

    A detector enters when Benjamini-Hochberg at ``fdr`` on its own p-values, over the data items no
    earlier tier claimed, rejects at least ``min_hits`` items (Simes' global test of "this detector sees
    nothing" then fails at level ``fdr``). The rejected items count as claimed after each tier, so a later
    detector that finds the same items adds nothing, while detectors of one tier are judged side by side.
    An earlier version compared how many items passed p <= 0.05 with the calibration items' share: with
    100 calibration items its standard error was 2.6 points, so 5% poison never reached z 3.
    """
    chosen: dict[int, float] = {}
    claimed = np.zeros(len(p_values), dtype=bool)
    for tier in tiers:
        data = ~calibration_mask & ~claimed
        if not data.any():
            break
        newly = np.zeros(len(p_values), dtype=bool)
        for j in tier:
            t = bh_threshold(p_values[data, j], fdr)
            hits = data & (p_values[:, j] <= t) if t > 0 else np.zeros(len(p_values), dtype=bool)
            if int(hits.sum()) < min_hits:
                hits = exceedance_hits(p_values[:, j], calibration_mask, data, level=fdr)
            if int(hits.sum()) >= min_hits:
                chosen[j] = float(hits.sum())
                newly |= hits
        claimed |= newly
    return chosen


def exceedance_hits(
    p_values: np.ndarray, calibration_mask: np.ndarray, data: np.ndarray, *, level: float
) -> np.ndarray:
    """The data items beyond the calibration set's top ranks, when there are too many of them for chance.

    BH cannot see a detector whose p-values pile up at the conformal floor: with 40 calibration items,
    17 of 200 data items beyond every calibration score all get p = 1/41, and BH at 20% needs 25 of them.
    Yet that pile is the evidence. Under the null that clean data items and calibration items are
    exchangeable, the share of the population above the calibration set's j-th largest score is
    Beta(j, n + 1 - j), so the number of m data items above it is beta-binomial(m, j, n + 1 - j); this
    is exact for any score distribution and any n. Ranks j = 1..J (J the top ``EXCEEDANCE_TOP_SHARE`` of
    the calibration set) are tested with a Bonferroni correction over J. P-values decrease with the
    score, so "above the j-th largest calibration score" is "p below the j-th smallest calibration p".
    Measured on the efficacy smoke run (digits, 40 calibration items, 10% BadNets): the scan's recall
    swung between 1/20 and 20/20 with upload order, as the anchored label check passed BH's screen or
    not; the pile above the calibration maximum was there every time.
    """
    none = np.zeros(len(p_values), dtype=bool)
    cal = np.sort(p_values[calibration_mask])
    n, m = len(cal), int(data.sum())
    if n == 0 or m == 0:
        return none
    ranks = max(1, int(EXCEEDANCE_TOP_SHARE * n))
    best_p, best = 1.0, none
    for j in range(1, ranks + 1):  # ranks <= n
        above = data & (p_values < cal[j - 1])
        k = int(above.sum())
        if k == 0:
            continue
        tail = float(stats.betabinom.sf(k - 1, m, j, n + 1 - j)) * ranks
        if tail < best_p:
            best_p, best = tail, above
    return best if best_p <= level else none


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


def standardise_per_class(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Put each class's scores on one scale before they share one calibration null.

    The location is the class median, the scale the spread of its lower half ((q50 - q25) / 0.674, a
    normal's), because poison sits in the upper tail: a class with 30% poison barely moves either. On clean
    MNIST, activation clustering pooled raw flagged 19.8% of the 1s, whose scores run higher than other
    classes'; scaled per class, the 1s behave like the rest.
    """
    out = np.array(scores, dtype=np.float64, copy=True)
    for c in np.unique(labels):
        sel = labels == c
        v = out[sel]
        med = float(np.median(v))
        scale = (med - float(np.quantile(v, 0.25))) / 0.674
        if scale <= 1e-9:
            scale = float(np.std(v))
        if scale > 1e-9:
            out[sel] = (v - med) / scale
    return out


@dataclass(frozen=True)
class EnsembleResult:
    suspicion: np.ndarray
    flagged: np.ndarray
    reasons: list[list[Reason]]
    threshold: float
    p_values: dict[str, np.ndarray]
    p_combined: np.ndarray
    operating_point: OperatingPoint
    calibration: dict[str, Any]


def combine(
    results: list[DetectorResult],
    *,
    labels: np.ndarray | None = None,
    calibration_mask: np.ndarray | None = None,
    fdr: float | None = 0.05,
    fpr: float | None = None,
    weights: np.ndarray | None = None,
    weight_reason: str = "contributor_group",
) -> EnsembleResult:
    """Calibrate every detector, combine by Bonferroni min-p, and flag at ``fdr`` (or ``fpr``) with reasons.

    ``labels`` turn on per-class scaling for detectors marked ``class_dependent``. Flags are chosen among
    the items outside ``calibration_mask``; calibration items are only scored, to report the false-positive
    rate the chosen threshold has on known-clean items. ``weights`` (one per item) are weighted-BH weights.
    """
    if not results:
        raise ValueError("combine needs at least one detector result")
    if fpr is not None and not 0.0 < fpr < 1.0:
        raise ValueError(f"fpr must lie in (0, 1), got {fpr}")
    n = len(results[0].scores)
    if any(len(r.scores) != n for r in results):
        raise ValueError("all detector results must score the same items")
    trusted = calibration_mask is not None and int(calibration_mask.sum()) >= MIN_CALIBRATION
    cal_mask = calibration_mask if calibration_mask is not None else np.zeros(n, dtype=bool)
    p_values: dict[str, np.ndarray] = {}
    for r in results:
        if r.p_values is not None:
            p_values[r.name] = np.clip(np.asarray(r.p_values, dtype=np.float64), 1e-300, 1.0)
            continue
        scores = r.scores
        if labels is not None and r.class_dependent:
            scores = standardise_per_class(scores, labels)
        cal = TailCalibrator() if trusted else TailCalibrator(0.5, robust=True)
        if trusted:
            cal.fit(scores[cal_mask], data_scores=scores[~cal_mask])
        else:
            cal.fit(scores)
        p_values[r.name] = cal.p_values(scores)
    names = [r.name for r in results]
    stacked = np.stack([p_values[k] for k in names], axis=1)
    selected: dict[int, float] = {}
    if trusted:
        selected = select_detectors(stacked, cal_mask, _tiers(names))
    budget: list[int] = list(selected) if selected else list(range(len(names)))
    combined = np.clip(stacked[:, budget].min(axis=1) * len(budget), 1e-300, 1.0)
    test = ~cal_mask
    item_weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    test_flags, point = choose_flags(combined[test], fdr=fdr, fpr=fpr, weights=item_weights[test])
    flagged = np.zeros(n, dtype=bool)
    flagged[test] = test_flags
    t = point.p_threshold
    if t > 0 and cal_mask.any():
        flagged[cal_mask] = combined[cal_mask] <= t
    suspicion = -np.log10(combined)
    threshold = float(-np.log10(t)) if t > 0 else float("inf")
    strengths = -np.log10(stacked)
    own = np.stack([r.flags for r in results], axis=1)
    reason_floor = -np.log10(max(t, 1e-300) * len(budget)) if t > 0 else np.inf
    boosted = item_weights > 1.0
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
        if boosted[i]:
            items.append(Reason(weight_reason, float(np.log10(item_weights[i])), True))
        reasons.append(items)
    calibration: dict[str, Any] = {"method": "trusted holdout" if trusted else "self (no trusted data)"}
    if trusted:
        calibration["n_calibration_items"] = int(cal_mask.sum())
        calibration["empirical_fpr_on_calibration"] = float(flagged[cal_mask].mean())
    calibration["fpr_split"] = (
        {names[j]: int(hits) for j, hits in selected.items()} if selected else "even (no detector stood out)"
    )
    calibration["per_class_scaling"] = [r.name for r in results if r.class_dependent and labels is not None]
    return EnsembleResult(suspicion, flagged, reasons, threshold, p_values, combined, point, calibration)

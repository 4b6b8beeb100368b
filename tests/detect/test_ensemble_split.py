"""The ensemble's false-positive budget: which detectors share it, and calibration without a tail."""

from __future__ import annotations

import numpy as np

from sebrus.detect.base import DetectorResult
from sebrus.detect.ensemble import combine, exceedance_hits, select_detectors
from sebrus.detect.tail import TailCalibrator


def _planted(n: int = 3000, n_cal: int = 500, seed: int = 0) -> tuple[np.random.Generator, np.ndarray]:
    rng = np.random.default_rng(seed)
    calib = np.zeros(n, dtype=bool)
    calib[:n_cal] = True
    return rng, calib


def test_calibrator_without_any_tail_stays_empirical() -> None:
    # No calibration item scores above zero (no near-duplicates among them): a score of 1 is beyond
    # everything seen, which is worth p = 1/(n+1), not the ~0 an exponential with a 1e-6 scale gives.
    cal = TailCalibrator().fit(np.zeros(250))
    p = cal.p_values(np.array([0.0, 1.0]))
    assert p[0] == 1.0
    assert p[1] == 1.0 / 251


def test_selection_keeps_detectors_that_find_new_poison_and_drops_a_redundant_and_a_blind_one() -> None:
    rng, calib = _planted()
    poison = np.zeros(len(calib), dtype=bool)
    poison[1000:1300] = True  # 12% of the data items
    other = np.zeros(len(calib), dtype=bool)
    other[2000:2250] = True  # different items, found by a fourth detector only
    strong = rng.normal(size=len(calib)) + 6.0 * poison
    redundant = strong + 0.01 * rng.normal(size=len(calib))  # sees exactly what the strong one sees
    blind = rng.normal(size=len(calib))
    second = rng.normal(size=len(calib)) + 6.0 * other
    scores = [strong, redundant, blind, second]
    p = np.stack([TailCalibrator().fit(s[calib]).p_values(s) for s in scores], axis=1)
    chosen = select_detectors(p, calib, [[0], [1, 2], [3]])
    assert list(chosen) == [0, 3]
    assert all(hits >= 3 for hits in chosen.values())  # each entrant's BH found items of its own
    # Side by side in one tier, both detectors that see the poison get a share.
    assert list(select_detectors(p, calib, [[0, 1], [2, 3]])) == [0, 1, 3]
    # Tried first, the redundant detector claims the poison and the strong one adds nothing after it.
    assert list(select_detectors(p, calib, [[1], [0], [2], [3]])) == [1, 3]


def test_combine_gives_the_budget_to_the_detector_that_sees_the_poison() -> None:
    rng, calib = _planted()
    poison = np.zeros(len(calib), dtype=bool)
    poison[1000:1300] = True
    # The label check's poison sits between fpr / 4 and fpr: an even four-way split misses most of it.
    label = rng.normal(size=len(calib)) + 2.9 * poison
    results = [DetectorResult("label", label, label > 3)] + [
        DetectorResult(f"blind{i}", s, s > 3) for i, s in enumerate(rng.normal(size=(3, len(calib))))
    ]
    ens = combine(results, calibration_mask=calib, fpr=0.01)
    assert ens.calibration["fpr_split"].keys() == {"label"}
    p_label = ens.p_values["label"]
    assert np.array_equal(ens.flagged, p_label <= 0.01)
    even = np.minimum.reduce([ens.p_values[r.name] for r in results]) * 4 <= 0.01
    assert ens.flagged[poison].mean() > even[poison].mean() + 0.1
    assert ens.flagged[~poison & ~calib].mean() <= 0.02


def test_combine_without_signal_splits_the_budget_evenly() -> None:
    rng, calib = _planted()
    a, b = rng.normal(size=len(calib)), rng.normal(size=len(calib))
    ens = combine(
        [DetectorResult("a", a, a > 3), DetectorResult("b", b, b > 3)], calibration_mask=calib, fpr=0.01
    )
    assert ens.calibration["fpr_split"] == "even (no detector stood out)"
    expected = np.minimum(ens.p_values["a"], ens.p_values["b"]) * 2 <= 0.01
    assert np.array_equal(ens.flagged, expected)


def test_exceedance_screen_finds_a_pile_at_the_conformal_floor_that_bh_cannot_see() -> None:
    # 40 calibration items, 200 data items, 17 of them beyond every calibration score: each gets the
    # empirical floor p = 1/41, and BH at 20% over 200 items would need 25 of them.
    rng = np.random.default_rng(3)
    calib = np.zeros(240, dtype=bool)
    calib[:40] = True
    scores = rng.normal(size=240)
    scores[40:57] = 100.0
    cal_sorted = np.sort(scores[calib])  # plain conformal p-values, no tail: the pile sits at the floor
    at_least = 40 - np.searchsorted(cal_sorted, scores, side="left")
    p = ((1.0 + at_least) / 41.0)[:, None]
    assert np.all(p[40:57] == 1.0 / 41)
    hits = exceedance_hits(p[:, 0], calib, ~calib, level=0.2)
    assert set(np.flatnonzero(hits)) == set(range(40, 57))
    assert list(select_detectors(p, calib, [[0]])) == [0]


def test_exceedance_screen_keeps_its_level_on_exchangeable_data() -> None:
    # Calibration and data drawn from one distribution: the screen may fire at most at its level.
    rng = np.random.default_rng(4)
    calib = np.zeros(240, dtype=bool)
    calib[:40] = True
    fired = 0
    reps = 400
    for _ in range(reps):
        scores = rng.standard_exponential(240)
        p = TailCalibrator().fit(scores[calib]).p_values(scores)
        fired += bool(exceedance_hits(p, calib, ~calib, level=0.2).any())
    assert fired / reps <= 0.2 + 3 * np.sqrt(0.2 * 0.8 / reps)

"""Contributor-level detectors (seed 004 loss monitoring with LDP, leave-one-out) and the ensemble."""

from __future__ import annotations

import numpy as np
import pytest

from sebrus.detect.base import DetectorResult
from sebrus.detect.contributors import (
    ContributorLossClustering,
    laplace_scale,
    privacy_tradeoff,
    privatise,
)
from sebrus.detect.ensemble import combine
from sebrus.detect.provenance import LeaveOneContributorOut
from sebrus.detect.tail import TailCalibrator


def _losses(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    owners = np.array([f"u{i % 20:02d}" for i in range(4000)])
    losses = rng.exponential(0.3, 4000)
    bad = ["u00", "u01", "u02"]
    losses[np.isin(owners, bad)] += 3.0
    return losses, owners, bad


def test_laplace_noise_scale_is_sensitivity_over_epsilon() -> None:
    assert laplace_scale(5.0, 2.0) == 2.5
    with pytest.raises(ValueError):
        laplace_scale(5.0, 0.0)
    rng = np.random.default_rng(0)
    noisy = privatise(np.full(200_000, 1.0), clip=4.0, epsilon=2.0, rng=rng)
    # Laplace(b) has standard deviation sqrt(2) * b, here b = 4 / 2.
    assert np.std(noisy) == pytest.approx(np.sqrt(2) * 2.0, rel=0.02)
    assert np.array_equal(privatise(np.array([-1.0, 9.0]), 4.0, None, rng), np.array([0.0, 4.0]))


def test_loss_clustering_flags_exactly_the_high_loss_contributors() -> None:
    losses, owners, bad = _losses()
    det = ContributorLossClustering().fit(losses, owners)
    assert sorted(det.ids_[det.flags_].tolist()) == bad


def test_loss_clustering_flags_nobody_when_all_are_honest() -> None:
    rng = np.random.default_rng(1)
    owners = np.array([f"u{i % 20}" for i in range(4000)])
    det = ContributorLossClustering().fit(rng.exponential(0.3, 4000), owners)
    assert not det.flags_.any()


def test_privacy_tradeoff_degrades_as_epsilon_shrinks() -> None:
    losses, owners, bad = _losses()
    curve = privacy_tradeoff(losses, owners, bad, epsilons=(None, 50.0, 0.2), trials=10)
    assert [p.epsilon for p in curve] == [None, 50.0, 0.2]
    assert curve[0].f1 == 1.0
    assert curve[2].f1 < curve[1].f1
    assert curve[2].noise_scale == pytest.approx(5.0 / 0.2)


def test_leave_one_contributor_out_finds_the_label_flipper() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1.5, (4, 8))  # overlapping classes: a wrong label costs validation loss
    y = rng.integers(0, 4, 1200)
    X = centres[y] + rng.normal(0, 1, (1200, 8))
    owners = np.array([f"u{i % 12}" for i in range(1200)])
    labels = y.copy()
    evil = owners == "u5"
    labels[evil] = (y[evil] + 1) % 4
    yv = rng.integers(0, 4, 300)
    Xv = centres[yv] + rng.normal(0, 1, (300, 8))
    det = LeaveOneContributorOut().fit(X, labels, contributors=owners, X_val=Xv, y_val=yv)
    assert det.ids_[det.flags_].tolist() == ["u5"]
    assert det.scores_[det.ids_.tolist().index("u5")] > 0


def test_tail_calibrator_gives_uniform_p_values_on_null_data() -> None:
    rng = np.random.default_rng(0)
    cal = TailCalibrator().fit(rng.normal(size=500))
    p = cal.p_values(rng.normal(size=20_000))
    assert np.mean(p <= 0.05) == pytest.approx(0.05, abs=0.02)
    assert cal.p_values(np.array([10.0]))[0] < 1e-4


def test_ensemble_flags_planted_outliers_with_reasons_and_keeps_the_fpr() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    calib = np.zeros(n, dtype=bool)
    calib[:500] = True
    a, b = rng.normal(size=n), rng.normal(size=n)
    planted = np.zeros(n, dtype=bool)
    planted[1000:1030] = True
    a[1000:1015] += 8.0
    b[1015:1030] += 8.0
    results = [
        DetectorResult("a", a, a > 3),
        DetectorResult("b", b, b > 3),
    ]
    ens = combine(results, calibration_mask=calib, fpr=0.01)
    assert ens.flagged[planted].all()
    assert ens.flagged[~planted & ~calib].mean() <= 0.02
    assert ens.reasons[1000][0].detector == "a" and ens.reasons[1020][0].detector == "b"
    assert ens.reasons[1000][0].as_dict()["score"] > 2
    assert ens.reasons[0] == [] or ens.flagged[0]
    with pytest.raises(ValueError, match="fpr"):
        combine(results, fpr=0.0)


def test_tail_calibrator_handles_a_point_mass_at_zero() -> None:
    # Most clean items score exactly 0 on the trigger check; a few score up to 0.3. A full trigger (1.0)
    # must still get a tiny p-value, not the p = 1 that anchoring the tail at P(S >= 0) gives.
    clean = np.zeros(250)
    clean[:25] = np.random.default_rng(0).exponential(0.05, 25)
    cal = TailCalibrator().fit(clean)
    assert cal.p_values(np.array([1.0]))[0] < 1e-3
    assert cal.p_values(np.array([0.0]))[0] == 1.0


def test_tail_calibrator_is_cautious_with_one_point_in_the_tail() -> None:
    # One calibration score beyond zero is no basis for extrapolating: the upper confidence bound on the
    # tail's scale keeps a far score's p-value modest instead of calling it certain.
    clean = np.zeros(250)
    clean[0] = 0.3
    cal = TailCalibrator().fit(clean)
    assert 1e-3 < cal.p_values(np.array([1.0]))[0] < 0.05
    assert cal.p_values(np.array([0.0]))[0] == 1.0

"""The LDP mechanisms' noise against their ε, and the gap test on honest and attacked federations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sebrus.federated.clustering import gap_test, two_means_1d
from sebrus.federated.ldp import gaussian_sigma, noise_scale, privatise_loss, report_range


@pytest.mark.parametrize("epsilon", [0.5, 1.0, 5.0])
def test_laplace_noise_scale_is_sensitivity_over_epsilon(epsilon: float) -> None:
    clip, rng = 2.0, np.random.default_rng(0)
    draws = np.array([privatise_loss(1.0, clip=clip, epsilon=epsilon, rng=rng) - 1.0 for _ in range(20_000)])
    # For Laplace(b), E|X| = b; its standard error over 20k draws is b/sqrt(20k) < 1%.
    assert np.mean(np.abs(draws)) == pytest.approx(clip / epsilon, rel=0.03)
    assert abs(np.median(draws)) < 0.05 * clip / epsilon


def test_gaussian_noise_sd_matches_calibration() -> None:
    rng = np.random.default_rng(1)
    draws = np.array(
        [
            privatise_loss(0.5, clip=1.0, epsilon=1.0, mechanism="gaussian", rng=rng) - 0.5
            for _ in range(20_000)
        ]
    )
    sigma = gaussian_sigma(1.0, 1.0, 1e-5)
    assert sigma == pytest.approx(math.sqrt(2 * math.log(1.25e5)))
    assert np.std(draws) == pytest.approx(sigma, rel=0.03)


def test_loss_is_clipped_before_noise_and_no_noise_at_infinite_epsilon() -> None:
    rng = np.random.default_rng(2)
    assert privatise_loss(9.0, clip=2.0, epsilon=None, rng=rng) == 2.0
    assert privatise_loss(-1.0, clip=2.0, epsilon=None, rng=rng) == 0.0
    assert privatise_loss(float("nan"), clip=2.0, epsilon=None, rng=rng) == 2.0
    assert noise_scale("laplace", 2.0, None) == 0.0
    assert report_range("laplace", 2.0, None) == (0.0, 2.0)
    low, high = report_range("laplace", 2.0, 1.0)
    assert low == -40.0 and high == 42.0


def test_two_means_finds_the_optimal_contiguous_split() -> None:
    high, lo, hi, _ = two_means_1d(np.array([0.1, 0.2, 5.0, 0.15, 5.2]))
    assert high.tolist() == [False, False, True, False, True]
    assert lo == pytest.approx(0.15) and hi == pytest.approx(5.1)


def test_gap_test_keeps_everyone_in_honest_federations() -> None:
    """200 honest 20-client rounds (no noise, Laplace and Gaussian LDP): nobody is excluded."""
    rng = np.random.default_rng(3)
    for trial in range(200):
        honest = rng.normal(0.6, 0.15, 20)  # heterogeneous honest losses
        if trial % 2 == 0:
            values, counts, mech = honest, np.ones(20, dtype=int), None
        else:
            r = int(rng.integers(1, 20))
            noise = rng.laplace(0.0, 2.3, size=(20, r)).mean(axis=1)
            values, counts, mech = honest + noise, np.full(20, r), "laplace"
        decision = gap_test(values, counts, clip=2.3, mechanism=mech)  # type: ignore[arg-type]
        assert not decision.separated, (trial, decision)


def test_gap_test_excludes_a_separated_high_loss_minority_only() -> None:
    rng = np.random.default_rng(4)
    values = np.r_[rng.normal(0.5, 0.1, 16), rng.normal(2.2, 0.05, 4)]
    decision = gap_test(values, np.ones(20, dtype=int), clip=2.3, mechanism=None)
    assert decision.separated and decision.high.tolist() == [False] * 16 + [True] * 4
    # A high majority is never excluded: the seed's premise is that attackers are the minority.
    flipped = np.r_[rng.normal(0.5, 0.1, 8), rng.normal(2.2, 0.05, 12)]
    assert not gap_test(flipped, np.ones(20, dtype=int), clip=2.3, mechanism=None).separated

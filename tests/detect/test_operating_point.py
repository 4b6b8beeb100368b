"""The default operating point: a false-discovery rate, not a fixed share of clean items."""

from __future__ import annotations

import numpy as np
import pytest

from sebrus.detect.operating_point import bh_threshold, choose_flags, storey_pi0


def test_uniform_p_values_flag_almost_nothing() -> None:
    # 20 clean data sets of 5,000 items: BH at 5% flags nothing in at least 19 of them (P >= 0.95 each).
    runs = [choose_flags(np.random.default_rng(s).random(5000), fdr=0.05)[0].sum() for s in range(20)]
    assert sum(1 for flagged in runs if flagged) <= 2
    assert max(runs) <= 3


def test_fdr_keeps_precision_where_a_fixed_fpr_does_not() -> None:
    rng = np.random.default_rng(1)
    clean, poison = rng.random(4500), rng.random(500) * 1e-5
    p = np.concatenate([clean, poison])
    truth = np.r_[np.zeros(4500, bool), np.ones(500, bool)]
    flags, point = choose_flags(p, fdr=0.05)
    precision = (flags & truth).sum() / flags.sum()
    assert precision >= 0.93 and (flags & truth).sum() == 500
    assert point.method == "fdr" and point.expected_precision is not None and point.expected_precision >= 0.95
    assert point.expected_false_positives < 0.05 * flags.sum() + 1e-9
    fixed, _ = choose_flags(p, fpr=0.05)
    assert (fixed & truth).sum() / fixed.sum() < 0.75  # ~225 clean items join the 500 at a 5% FPR


def test_weights_raise_items_of_a_suspect_group() -> None:
    rng = np.random.default_rng(2)
    p = rng.random(2000)
    p[:20] = 1e-3  # too weak for plain BH at 5% over 2,000 items (it needs 5e-4 for 20 flags)
    plain, _ = choose_flags(p, fdr=0.05)
    weights = np.ones(2000)
    weights[:100] = 10.0  # the group's items get more of the error budget
    weighted, _ = choose_flags(p, fdr=0.05, weights=weights)
    assert plain[:20].sum() == 0 and weighted[:20].sum() == 20


def test_storey_and_bh_basics() -> None:
    assert storey_pi0(np.full(100, 0.9)) == 1.0
    assert 0.45 < storey_pi0(np.r_[np.random.default_rng(0).random(1000), np.zeros(1000)]) < 0.55
    assert bh_threshold(np.array([0.001, 0.02, 0.5]), 0.05) == 0.02  # 0.02 <= 0.05 * 2 / 3
    assert bh_threshold(np.array([0.2, 0.5]), 0.05) == 0.0


def test_bad_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="fdr"):
        choose_flags(np.array([0.1]), fdr=1.5)
    with pytest.raises(ValueError, match="fpr"):
        choose_flags(np.array([0.1]), fpr=0.0)
    with pytest.raises(ValueError, match="weights"):
        choose_flags(np.array([0.1, 0.2]), weights=np.array([1.0]))

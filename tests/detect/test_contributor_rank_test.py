"""Contributors are tested as groups, with multiple-testing control, never for having many items."""

from __future__ import annotations

import numpy as np

from sebrus.detect.contributors import contributor_rank_test


def _owners(n: int, k: int, rng: np.random.Generator, heavy: int = 0) -> np.ndarray:
    weights = np.ones(k)
    weights[:heavy] = 20.0  # a few contributors upload far more than the rest
    return np.array([f"c{i:02d}" for i in rng.choice(k, size=n, p=weights / weights.sum())])


def test_no_honest_contributor_is_flagged_on_clean_data() -> None:
    # The guarantee is probabilistic (any flag at most 1% of the time at the default level), so 20 clean
    # data sets may see one; flagging by item count would flag the three heavy uploaders every time.
    flagged = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        owners = _owners(3000, 30, rng, heavy=3)
        flagged += int(contributor_rank_test(rng.exponential(size=(3000, 3)), owners).flags.sum())
    assert flagged <= 1


def test_a_malicious_group_is_flagged_and_weights_reach_its_items() -> None:
    rng = np.random.default_rng(0)
    owners = _owners(3000, 30, rng)
    scores = rng.exponential(size=3000)
    bad = np.isin(owners, ["c00", "c01"])
    scores[bad & (rng.random(3000) < 0.3)] += 5.0  # 30% of their items look poisoned to one detector
    evidence = np.stack([rng.exponential(size=3000), scores], axis=1)
    test = contributor_rank_test(evidence, owners)
    assert set(test.ids[test.flags]) == {"c00", "c01"}
    weights = test.item_weights(owners, hits=scores > 3.0)
    assert weights[bad].min() > 1.0 and np.all(weights[~bad] == 1.0)


def test_a_suspect_named_before_the_scan_is_raised_even_without_evidence() -> None:
    rng = np.random.default_rng(3)
    owners = _owners(1000, 10, rng)
    test = contributor_rank_test(rng.random(1000), owners, suspects=["c04"])
    assert test.suspects[list(test.ids).index("c04")] and not test.flags.any()
    weights = test.item_weights(owners, hits=np.zeros(1000, dtype=bool))
    assert np.all(weights[owners == "c04"] == 2.0)

"""Attack simulators poison exactly what they say, so detection figures mean what they claim."""

from __future__ import annotations

import numpy as np
import pytest

from sebrus.detect.attacks import (
    assign_contributors,
    blended_backdoor,
    clean_label_backdoor,
    patch_backdoor,
    random_label_flip,
    targeted_label_flip,
)
from sebrus.detect.datasets import load_digits


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return load_digits()


def test_all_to_one_relabels_non_target_items_and_stamps_them(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = digits
    p = patch_backdoor(x, y, 0.1, target=3, seed=1)
    assert p.n_poisoned == round(0.1 * len(y))
    assert (p.labels[p.poison_mask] == 3).all() and (p.original_labels[p.poison_mask] != 3).all()
    assert np.array_equal(p.labels[~p.poison_mask], y[~p.poison_mask])
    assert not np.array_equal(p.images[p.poison_mask], x[p.poison_mask])
    assert np.array_equal(p.images[~p.poison_mask], x[~p.poison_mask])


def test_all_to_all_shifts_labels_by_one(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = digits
    p = patch_backdoor(x, y, 0.05, all_to_all=True)
    assert np.array_equal(p.labels[p.poison_mask], (y[p.poison_mask] + 1) % 10)


def test_flips_change_only_labels(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = digits
    r = random_label_flip(x, y, 0.2, seed=2)
    assert (r.labels[r.poison_mask] != y[r.poison_mask]).all() and np.array_equal(r.images, x)
    t = targeted_label_flip(x, y, 0.1, seed=2)
    for src, dst in t.source_to_target.items():
        moved = t.poison_mask & (y == src)
        assert (t.labels[moved] == dst).all()
        assert moved.sum() <= 0.5 * (y == src).sum()
    assert t.n_poisoned == round(0.1 * len(y))


def test_blended_trigger_is_faint_and_everywhere(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = digits
    p = blended_backdoor(x, y, 0.1, alpha=0.1)
    diff = np.abs(p.images[p.poison_mask] - x[p.poison_mask])
    assert diff.max() <= 0.1 + 1e-6 and (diff.reshape(p.n_poisoned, -1) > 0).mean() > 0.5


def test_bad_rates_are_refused(digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = digits
    with pytest.raises(ValueError, match="poison rate"):
        patch_backdoor(x, y, 1.5)


def test_clean_label_poisons_distinct_target_items_and_keeps_labels(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = digits
    x, y = x[:600], y[:600]
    p = clean_label_backdoor(x, y, 0.05, target=0, max_iter=3, seed=0)
    # ART samples its victims with replacement; ours must be exactly the number asked for, all distinct.
    assert p.n_poisoned == min(round(0.05 * len(y)), int(0.5 * (y == 0).sum()))
    assert np.array_equal(p.labels, y)
    assert (y[p.poison_mask] == 0).all()
    changed = np.abs(p.images - x).reshape(len(y), -1).max(axis=1) > 0
    assert np.array_equal(changed, p.poison_mask)
    again = clean_label_backdoor(x, y, 0.05, target=0, max_iter=3, seed=0)
    assert np.array_equal(again.poison_mask, p.poison_mask)


def test_malicious_contributors_hold_their_share() -> None:
    mask = np.zeros(2000, dtype=bool)
    mask[:200] = True
    owners, malicious = assign_contributors(mask, n_contributors=10, n_malicious=2, poison_share=0.8, seed=0)
    held = np.isin(owners[mask], malicious).mean()
    assert 0.7 <= held <= 0.9
    assert np.isin(owners[~mask], malicious).any()  # they upload clean items too

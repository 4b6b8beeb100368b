"""Attacks written from their papers: each does what its paper says, and nothing else."""

from __future__ import annotations

import numpy as np

from sebrus.detect import paper_attacks as paper
from tests.support.synthetic import blob_images


def test_badnets_stamps_one_corner_and_relabels() -> None:
    x, y = blob_images(n_per_class=50, n_classes=3, side=16)
    poisoned = paper.badnets(x, y, 0.1, size=3, pattern="checker", target=2, seed=4)
    idx = np.flatnonzero(poisoned.poison_mask)
    assert len(idx) == 15 and np.all(poisoned.labels[idx] == 2) and np.all(y[idx] != 2)
    changed = np.abs(poisoned.images[idx] - x[idx]).sum(axis=0) > 0
    rows, cols = np.nonzero(changed)
    assert rows.max() - rows.min() < 3 and cols.max() - cols.min() < 3  # one 3x3 block
    assert np.array_equal(poisoned.images[~poisoned.poison_mask], x[~poisoned.poison_mask])


def test_sig_keeps_every_label_and_poisons_only_the_target_class() -> None:
    x, y = blob_images(n_per_class=40, n_classes=3, side=16)
    poisoned = paper.sig_attack(x, y, share=0.5, target=0)
    assert np.array_equal(poisoned.labels, y)
    assert poisoned.poison_mask.sum() == 20 and np.all(y[poisoned.poison_mask] == 0)


def test_wanet_warps_smoothly_and_one_class_flip_relabels_its_share() -> None:
    x, y = blob_images(n_per_class=40, n_classes=3, side=16)
    field = paper.warp_field((16, 16), grid=4, strength=0.5, seed=0)
    assert field.shape == (2, 16, 16) and 0 < np.abs(field).max() < 2.0
    warped = paper.warp_images(x[:5], field)
    assert warped.shape == x[:5].shape and not np.allclose(warped, x[:5])
    flip = paper.one_class_flip(x, y, source=1, target=2, share=0.4)
    assert flip.poison_mask.sum() == 16 and np.all(flip.labels[flip.poison_mask] == 2)
    assert flip.source_to_target == {1: 2}

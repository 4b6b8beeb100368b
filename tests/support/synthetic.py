"""Small synthetic data for detector tests: fast, seeded, and with the poison planted where we know."""

from __future__ import annotations

import numpy as np


def blob_images(
    n_per_class: int = 60, n_classes: int = 3, side: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Digit-like images: each class is a bright bar in its own place and orientation, with jitter.

    The bottom-right corner is always dark, so a patch trigger there is something clean data never has.
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for c in range(n_classes):
        for _ in range(n_per_class):
            img = np.zeros((side, side), dtype=np.float32)
            off = int(rng.integers(-1, 2))
            centre = 3 + 3 * c + off
            if c % 2 == 0:
                img[centre : centre + 2, 2 : side - 5] = 1.0
            else:
                img[2 : side - 5, centre : centre + 2] = 1.0
            img += rng.normal(0, 0.02, img.shape).astype(np.float32) * (img > 0)
            images.append(np.clip(img, 0, 1))
            labels.append(c)
    return np.stack(images), np.array(labels, dtype=np.int64)


def clustered_embeddings(
    n_per_class: int = 200, n_classes: int = 3, dim: int = 16, poison_rate: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class Gaussian embeddings with a poisoned minority shifted along one direction."""
    rng = np.random.default_rng(seed)
    xs, ys, mask = [], [], []
    for c in range(n_classes):
        centre = rng.normal(0, 5, dim)
        x = centre + rng.normal(0, 1, (n_per_class, dim))
        poisoned = rng.random(n_per_class) < poison_rate
        x[poisoned] += 6.0 * np.eye(dim)[c]
        xs.append(x)
        ys.append(np.full(n_per_class, c))
        mask.append(poisoned)
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64), np.concatenate(mask)


def precision_recall(flags: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = float(np.sum(flags & truth))
    return (tp / flags.sum() if flags.any() else 0.0), (tp / truth.sum() if truth.any() else 0.0)

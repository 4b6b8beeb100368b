"""Input checks from seed 003's "Input Validation": noise, artificial patterns, conflicting duplicates.

These read pixels only, need no model, and so also run on a single upload before any scan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Self

import numpy as np
from scipy import ndimage

from sebrus.detect.base import DetectorResult, PoisonDetector, robust_z
from sebrus.detect.models import validate_images


def _gray(images: np.ndarray) -> np.ndarray:
    return images if images.ndim == 3 else images.mean(axis=3)


def noise_level(images: np.ndarray) -> np.ndarray:
    """Per-image noise estimate: 1.4826 x the median absolute residual from a 3x3 median filter.

    Smooth strokes and flat backgrounds leave almost no residual; adversarial perturbations (PGD in the
    clean-label attack) and blended triggers leave it everywhere.
    """
    gray = _gray(images).astype(np.float32)
    residual = np.abs(gray - ndimage.median_filter(gray, size=(1, 3, 3), mode="nearest"))
    flat = residual.reshape(len(gray), -1)
    # The median alone is 0 on mostly-empty digit images, so add the mean to keep the score continuous.
    return np.asarray(1.4826 * np.median(flat, axis=1) + flat.mean(axis=1), dtype=np.float64)


class NoiseLevel(PoisonDetector):
    """Robust z-score of the per-image noise estimate against the whole set (or a reference set)."""

    name = "noise_level"

    def __init__(self, z_threshold: float = 5.0) -> None:
        self.z_threshold = z_threshold

    def fit(self, X: np.ndarray, y: np.ndarray, *, reference_images: np.ndarray | None = None) -> Self:
        """``reference_images``: trusted images whose noise sets the scale; without them, ``X``'s own."""
        validate_images(X)
        level = noise_level(X)
        ref = noise_level(reference_images) if reference_images is not None else level
        med = np.median(ref)
        scale = max(1.4826 * np.median(np.abs(ref - med)), 1e-4)
        self.scores_ = np.asarray((level - med) / scale, dtype=np.float64)
        self.flags_ = self.scores_ > self.z_threshold
        self.evidence_ = {"median_noise": float(med), "noise": level}
        return self


def _two_proportion_z(q: np.ndarray, n: int, r: np.ndarray, m: int) -> np.ndarray:
    """Signed root of the likelihood-ratio (G) statistic for "rate q in n items equals rate r in m items".

    The usual pooled z-test is weak exactly where triggers live, at positions that are almost never on in
    clean data (0 of 250 reference images vs 5% of the data: pooled z 3.5, likelihood-ratio z 5.0).
    """

    def xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x * np.log(np.clip(y, 1e-300, None)), 0.0)

    pooled = (q * n + r * m) / (n + m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        llr = (
            xlogy(n * q, q / np.clip(pooled, 1e-300, None))
            + xlogy(n * (1 - q), (1 - q) / np.clip(1 - pooled, 1e-300, None))
            + xlogy(m * r, r / np.clip(pooled, 1e-300, None))
            + xlogy(m * (1 - r), (1 - r) / np.clip(1 - pooled, 1e-300, None))
        )
    return np.asarray(np.sign(q - r) * np.sqrt(np.clip(2 * llr, 0.0, None)))


class PatchTrigger(PoisonDetector):
    """Per-class, per-position pixel statistics: positions inked far more often than they should be.

    For each class, and for all classes together, we compare how often each pixel is "on" in the data
    with how often it is on in the trusted seed set, by a likelihood-ratio z-score. A position is part of
    a suspected trigger when z > ``z_threshold``, its rate at least doubled and rose by ``min_excess``,
    and a neighbouring position qualifies too. An item's score is the z-weighted share of those
    positions it has on, so items carrying the whole patch score about 1 and clean items about 0.

    A reference is required: comparing a class with the other classes, or with a smoothed copy of its
    own rate map, flagged about half of MNIST-5k in our measurements (natural strokes differ by class).
    """

    name = "patch_trigger"

    def __init__(
        self,
        z_threshold: float = 4.0,
        on_level: float = 0.5,
        min_share: float = 0.5,
        min_excess: float = 0.03,
    ) -> None:
        self.z_threshold = z_threshold
        self.on_level = on_level
        self.min_share = min_share
        self.min_excess = min_excess

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        reference_images: np.ndarray | None = None,
        reference_labels: np.ndarray | None = None,
    ) -> Self:
        """``reference_images``/``reference_labels``: the trusted seed set, required."""
        validate_images(X, y)
        if reference_images is None or reference_labels is None:
            raise ValueError(
                "PatchTrigger needs reference_images and reference_labels (the trusted seed set): without a "
                "clean reference, per-position rates cannot tell a trigger from a class's own strokes"
            )
        on = _gray(X) >= self.on_level
        flat_on = on.reshape(len(X), -1).astype(np.float32)
        classes = np.unique(y)
        q = {int(c): flat_on[y == c].mean(axis=0) for c in classes}
        n = {int(c): int(np.sum(y == c)) for c in classes}
        z_maps: dict[int, np.ndarray] = {}
        ref_on = (_gray(reference_images) >= self.on_level).reshape(len(reference_images), -1)
        ref_on = ref_on.astype(np.float32)
        q_all, r_all = flat_on.mean(axis=0), ref_on.mean(axis=0)
        global_z = _two_proportion_z(q_all, len(X), r_all, len(ref_on))
        # Sampling noise in a small reference makes modest rate differences on busy stroke positions
        # "significant" (MNIST: 46% vs 34%, z=3.6). A trigger lights up positions that are rarely on
        # in clean data, so the data's rate must at least double and rise by ``min_excess``.
        global_z = np.where(q_all - r_all >= np.maximum(self.min_excess, r_all), global_z, 0.0)
        for c in classes:
            sel = reference_labels == c
            if sel.sum() >= 5:
                r_c = ref_on[sel].mean(axis=0)
                zc = _two_proportion_z(q[int(c)], n[int(c)], r_c, int(sel.sum()))
                zc = np.where(q[int(c)] - r_c >= np.maximum(self.min_excess, r_c), zc, 0.0)
                z_maps[int(c)] = np.maximum(zc, global_z)
            else:
                z_maps[int(c)] = global_z
        scores = np.zeros(len(X), dtype=np.float64)
        p_values = np.ones(len(X), dtype=np.float64)
        positions: dict[int, list[int]] = {}
        shape = on.shape[1:]
        # The trusted on-rate of every position over the whole set, smoothed (one on, one off): ten
        # trusted items of a class cannot bring a rate below 1/12, and a trigger position is suspect
        # precisely because the data's rate there far exceeds the trusted one.
        ref_rate = (r_all * len(ref_on) + 1.0) / (len(ref_on) + 2.0)
        for c in classes:
            hot = (z_maps[int(c)] > self.z_threshold).reshape(shape)
            # A trigger covers several pixels; a lone hot position is sampling noise in a small
            # reference set, so keep only positions with a hot 8-neighbour.
            neighbours = ndimage.convolve(
                hot.astype(np.int32), np.ones((3, 3), dtype=np.int32), mode="constant"
            )
            hot &= neighbours >= 2
            weights = np.where(hot.reshape(-1), z_maps[int(c)], 0.0)
            if weights.sum() == 0:
                continue
            positions[int(c)] = np.flatnonzero(weights).tolist()
            sel = y == c
            scores[sel] = flat_on[sel] @ weights / weights.sum()
            p_values[sel] = self._null_p_values(flat_on[sel][:, hot.reshape(-1)], ref_rate, hot)
        self.scores_ = scores
        self.p_values_ = p_values
        self.flags_ = scores >= self.min_share
        self.evidence_ = {"suspect_positions": positions, "image_shape": list(X.shape[1:3])}
        return self

    def result(self) -> DetectorResult:
        """With p-values from the trusted set's own on-rates, which the ensemble uses as they are.

        Every clean calibration item scores exactly 0 here, so an empirical null cannot go below
        1/(n+1): at 10% BadNets the check ranked every poisoned item first (AUC 1.00) and still could
        not flag one at a 5% false-discovery rate over 3,800 items.
        """
        return replace(super().result(), p_values=self.p_values_)

    @staticmethod
    def _null_p_values(on_hot: np.ndarray, rates: np.ndarray, hot: np.ndarray) -> np.ndarray:
        """P(a clean item has at least this many suspect positions on), from the trusted on-rates.

        Neighbouring pixels are on together in clean strokes, so positions are not independent: the
        suspect positions count as one independent unit per four (a 3x3 patch is three units, a 4x4 one
        four), each on with the largest smoothed trusted rate among them. That is cautious for strokes
        and still small for a patch that clean images never show.
        """
        from scipy import stats

        m = int(hot.sum())
        units = max(1, int(np.ceil(m / 4)))
        rate = float(rates[hot.reshape(-1)].max())
        k = np.ceil(on_hot.sum(axis=1) * units / m).astype(int)
        return np.asarray(np.where(k > 0, stats.binom.sf(k - 1, units, rate), 1.0))


def perceptual_hashes(images: np.ndarray, hash_size: int = 8, highfreq_factor: int = 4) -> np.ndarray:
    """64-bit perceptual hash (the pHash recipe) per image, packed into uint64.

    Same algorithm as ``imagehash.phash`` (resize to 32x32, 2-D DCT, keep the 8x8 lowest frequencies,
    threshold at their median) but vectorised over the batch: imagehash's one-image-at-a-time API took
    3.5 s for 3,500 digits, this takes a few milliseconds.
    """
    import torch
    from scipy.fft import dctn

    side = hash_size * highfreq_factor
    gray = torch.from_numpy(np.ascontiguousarray(_gray(images), dtype=np.float32))[:, None]
    small = torch.nn.functional.interpolate(gray, size=(side, side), mode="area")[:, 0].numpy()
    low = dctn(small, axes=(1, 2), norm="ortho")[:, :hash_size, :hash_size].reshape(len(images), -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    packed = np.packbits(bits, axis=1)  # (N, 8) bytes, big-endian bit order
    return packed.view(">u8").astype(np.uint64).reshape(-1)


def _popcount64(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.bitwise_count(x))


class ConflictingDuplicates(PoisonDetector):
    """Near-duplicate images (pHash within ``max_distance`` bits) that carry different labels.

    The score is the share of an item's near-duplicates whose label differs from its own; items with no
    near-duplicate score 0. Exact copies with conflicting labels are the crudest label-flip attack.
    """

    name = "conflicting_duplicates"

    def __init__(self, max_distance: int = 2, block: int = 1024) -> None:
        self.max_distance = max_distance
        self.block = block

    def fit(self, X: np.ndarray, y: np.ndarray) -> Self:
        validate_images(X, y)
        hashes = perceptual_hashes(X)
        scores = np.zeros(len(X), dtype=np.float64)
        n_dupes = np.zeros(len(X), dtype=np.int64)
        for start in range(0, len(X), self.block):
            chunk = hashes[start : start + self.block]
            dist = _popcount64(np.bitwise_xor(chunk[:, None], hashes[None, :]))
            near = dist <= self.max_distance
            near[np.arange(len(chunk)), np.arange(start, start + len(chunk))] = False
            conflicts = near & (y[None, :] != y[start : start + len(chunk), None])
            counts = near.sum(axis=1)
            n_dupes[start : start + len(chunk)] = counts
            scores[start : start + len(chunk)] = np.where(
                counts > 0, conflicts.sum(axis=1) / np.maximum(counts, 1), 0.0
            )
        self.scores_ = scores
        self.flags_ = scores > 0.5
        self.evidence_ = {"near_duplicates": n_dupes, "max_distance": self.max_distance}
        return self


__all__ = [
    "ConflictingDuplicates",
    "NoiseLevel",
    "PatchTrigger",
    "noise_level",
    "perceptual_hashes",
    "robust_z",
]

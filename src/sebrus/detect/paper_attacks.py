"""Attacks written from their papers' descriptions, for evaluating detectors beyond the ones they grew with.

* BadNets (Gu et al. 2017): a small patch, white or checkerboard, at one corner chosen at random for the
  attack, all-to-one relabelling.
* SIG (Barni et al. 2019): a clean-label backdoor. A horizontal sinusoid ``delta * sin(2 pi j f / m)`` is
  added to a share of the target class's own images; labels stay correct.
* WaNet (Nguyen and Tran 2021): a smooth, fixed warping field (a k x k grid of random offsets, upsampled
  and scaled by ``strength``) applied with bilinear sampling; all-to-one.
* A one-class flip: a share of one class relabelled as another.

Each returns :class:`~sebrus.detect.attacks.PoisonedData`, so the benchmark measures detection and the
attack success rate the same way for every attack.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sebrus.detect.attacks import PoisonedData, Trigger, _choose, _n_poison, stamp_and_relabel
from sebrus.detect.models import validate_images

Corner = Literal["top_left", "top_right", "bottom_left", "bottom_right"]
CORNERS: tuple[Corner, ...] = ("top_left", "top_right", "bottom_left", "bottom_right")


def badnets_trigger(size: int, pattern: Literal["white", "checker"], corner: Corner) -> Trigger:
    """A trigger function stamping a ``size`` x ``size`` patch one pixel in from ``corner``."""

    def stamp(images: np.ndarray) -> np.ndarray:
        out = np.array(images, copy=True)
        h, w = out.shape[1], out.shape[2]
        if pattern == "white":
            patch = np.ones((size, size), dtype=out.dtype)
        else:
            patch = (np.indices((size, size)).sum(axis=0) % 2 == 0).astype(out.dtype)
        top = 1 if corner.startswith("top") else h - 1 - size
        left = 1 if corner.endswith("left") else w - 1 - size
        region = (slice(None), slice(top, top + size), slice(left, left + size))
        out[region] = patch[None, :, :, None] if out.ndim == 4 else patch[None]
        return out

    return stamp


def badnets(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    size: int = 3,
    pattern: Literal["white", "checker"] = "white",
    target: int = 0,
    seed: int = 0,
) -> PoisonedData:
    """BadNets all-to-one with the patch at a corner drawn from ``seed``."""
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    corner = CORNERS[int(rng.integers(len(CORNERS)))]
    trigger = badnets_trigger(size, pattern, corner)
    idx = _choose(rng, np.flatnonzero(labels != target), _n_poison(len(labels), rate))
    return stamp_and_relabel(images, labels, idx, trigger, target, f"badnets_{pattern}{size}")


def sig_signal(shape: tuple[int, ...], delta: float, frequency: float) -> np.ndarray:
    """Barni et al.'s horizontal sinusoid for one image shape (H, W) or (H, W, C)."""
    width = shape[1]
    row = delta * np.sin(2.0 * np.pi * np.arange(width) * frequency / width)
    signal = np.broadcast_to(row[None, :], shape[:2]).astype(np.float32)
    return signal[..., None] * np.ones((1, 1, shape[2]), np.float32) if len(shape) == 3 else signal


def sig_attack(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    share: float = 0.5,
    target: int = 0,
    delta: float = 20 / 255,
    frequency: float = 6.0,
    seed: int = 0,
) -> PoisonedData:
    """SIG: add the sinusoid to ``share`` of the target class's images and keep every label.

    ``delta = 20/255`` and ``f = 6`` are the paper's MNIST settings. The test-time trigger is the same
    signal added to images of other classes.
    """
    validate_images(images, labels)
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(labels == target)
    idx = _choose(rng, pool, max(1, round(share * len(pool))))
    signal = sig_signal(images.shape[1:], delta, frequency)

    def trigger(batch: np.ndarray) -> np.ndarray:
        return np.clip(batch + signal[None], 0.0, 1.0).astype(batch.dtype)

    return stamp_and_relabel(images, labels, idx, trigger, target, "sig")


def warp_field(shape: tuple[int, int], grid: int, strength: float, seed: int) -> np.ndarray:
    """WaNet's warp: random offsets on a ``grid`` x ``grid`` lattice, normalised, upsampled, in pixels.

    Returns a (2, H, W) array of (dy, dx) displacements. ``strength`` is the paper's ``s`` (0.5); the
    offsets are scaled so the largest is ``strength`` grid cells of the image, as in WaNet's
    ``s / h`` normalisation of the sampling grid.
    """
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    control = rng.uniform(-1.0, 1.0, size=(2, grid, grid))
    control /= np.mean(np.abs(control))
    h, w = shape
    field = np.stack([ndimage.zoom(control[k], (h / grid, w / grid), order=3)[:h, :w] for k in range(2)])
    return np.asarray(field * strength * np.array([h, w])[:, None, None] / (2 * max(h, w)), np.float32)


def warp_images(images: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Bilinear resampling of every image at (y + dy, x + dx), clamped at the border."""
    from scipy import ndimage

    h, w = images.shape[1], images.shape[2]
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coords = [np.clip(yy + field[0], 0, h - 1), np.clip(xx + field[1], 0, w - 1)]
    out = np.empty_like(images)
    for i in range(len(images)):
        if images.ndim == 3:
            out[i] = ndimage.map_coordinates(images[i], coords, order=1)
        else:
            for ch in range(images.shape[3]):
                out[i, ..., ch] = ndimage.map_coordinates(images[i, ..., ch], coords, order=1)
    return out


def wanet(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    grid: int = 4,
    strength: float = 0.5,
    target: int = 0,
    seed: int = 0,
) -> PoisonedData:
    """WaNet-style all-to-one backdoor: one fixed smooth warp is the trigger."""
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    field = warp_field(images.shape[1:3], grid, strength, seed + 99)

    def trigger(batch: np.ndarray) -> np.ndarray:
        return warp_images(batch, field)

    idx = _choose(rng, np.flatnonzero(labels != target), _n_poison(len(labels), rate))
    return stamp_and_relabel(images, labels, idx, trigger, target, "wanet")


def one_class_flip(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    source: int = 1,
    target: int = 7,
    share: float = 0.4,
    seed: int = 0,
) -> PoisonedData:
    """Relabel ``share`` of class ``source`` as ``target``: the attacker wants source read as target."""
    validate_images(images, labels)
    if source == target:
        raise ValueError("source and target must differ")
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(labels == source)
    idx = _choose(rng, pool, max(1, round(share * len(pool))))
    y = labels.copy()
    y[idx] = target
    mask = np.zeros(len(labels), dtype=bool)
    mask[idx] = True
    return PoisonedData(
        images.copy(), y, mask, labels.copy(), "one_class_flip", source_to_target={source: target}
    )

"""Poisoning attack simulators for tests and the benchmark.

Each returns a :class:`PoisonedData` with the ground-truth poison mask and, for backdoors, the trigger, so
the benchmark can measure both detection and the attack success rate after cleaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sebrus.detect.models import ImageClassifier, train_reference_model, validate_images

Trigger = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PoisonedData:
    images: np.ndarray
    labels: np.ndarray
    poison_mask: np.ndarray
    original_labels: np.ndarray
    kind: str
    target: int | None = None
    trigger: Trigger | None = None
    source_to_target: dict[int, int] = field(default_factory=dict)

    @property
    def n_poisoned(self) -> int:
        return int(self.poison_mask.sum())


def _n_poison(n_items: int, rate: float) -> int:
    if not 0.0 < rate < 1.0:
        raise ValueError(f"poison rate must lie in (0, 1), got {rate}")
    return max(1, round(rate * n_items))


def patch_trigger(images: np.ndarray, size: int | None = None) -> np.ndarray:
    """Stamp a small checkerboard in the bottom-right corner, one pixel in from the border.

    A checkerboard rather than a solid square so that it is not just "more ink", which a
    per-pixel brightness check would catch trivially but a real trigger need not be.
    """
    out = np.array(images, copy=True)
    h, w = out.shape[1], out.shape[2]
    s = size or max(2, h // 9)
    board = (np.indices((s, s)).sum(axis=0) % 2 == 0).astype(out.dtype)
    region = (slice(None), slice(h - 1 - s, h - 1), slice(w - 1 - s, w - 1))
    if out.ndim == 4:
        out[region] = board[None, :, :, None]
    else:
        out[region] = board[None]
    return out


def blend_pattern(shape: tuple[int, ...], seed: int = 1234) -> np.ndarray:
    """A fixed random key pattern (Chen et al.'s blended injection) for one image shape."""
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def blend_trigger(images: np.ndarray, alpha: float = 0.15, seed: int = 1234) -> np.ndarray:
    pattern = blend_pattern(images.shape[1:], seed)
    return np.clip((1.0 - alpha) * images + alpha * pattern[None], 0.0, 1.0).astype(images.dtype)


def _choose(rng: np.random.Generator, candidates: np.ndarray, n: int) -> np.ndarray:
    if n > len(candidates):
        raise ValueError(f"cannot poison {n} items: only {len(candidates)} are eligible")
    return np.sort(rng.choice(candidates, size=n, replace=False))


def patch_backdoor(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    all_to_all: bool = False,
    target: int = 0,
    seed: int = 0,
) -> PoisonedData:
    """BadNets: stamp the patch and relabel, to ``target`` (all-to-one) or to ``label + 1`` (all-to-all)."""
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    n_classes = int(labels.max() + 1)
    eligible = np.arange(len(labels)) if all_to_all else np.flatnonzero(labels != target)
    idx = _choose(rng, eligible, _n_poison(len(labels), rate))
    x, y = images.copy(), labels.copy()
    x[idx] = patch_trigger(images[idx])
    y[idx] = (labels[idx] + 1) % n_classes if all_to_all else target
    mask = np.zeros(len(labels), dtype=bool)
    mask[idx] = True
    kind = "patch_all_to_all" if all_to_all else "patch_all_to_one"
    return PoisonedData(x, y, mask, labels.copy(), kind, None if all_to_all else target, patch_trigger)


def blended_backdoor(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    target: int = 0,
    alpha: float = 0.15,
    seed: int = 0,
) -> PoisonedData:
    """All-to-one backdoor whose trigger is a faint full-image pattern instead of a patch."""
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    idx = _choose(rng, np.flatnonzero(labels != target), _n_poison(len(labels), rate))

    def trigger(batch: np.ndarray) -> np.ndarray:
        return blend_trigger(batch, alpha)

    return stamp_and_relabel(images, labels, idx, trigger, target, "blended")


def stamp_and_relabel(
    images: np.ndarray, labels: np.ndarray, idx: np.ndarray, trigger: Trigger, target: int, kind: str
) -> PoisonedData:
    """Apply ``trigger`` to the items ``idx`` and give them the ``target`` label (all-to-one)."""
    x, y = images.copy(), labels.copy()
    x[idx] = np.clip(trigger(images[idx]), 0.0, 1.0)
    y[idx] = target
    mask = np.zeros(len(labels), dtype=bool)
    mask[idx] = True
    return PoisonedData(x, y, mask, labels.copy(), kind, target, trigger)


def random_label_flip(images: np.ndarray, labels: np.ndarray, rate: float, *, seed: int = 0) -> PoisonedData:
    """Give a random share of items a uniformly drawn wrong label."""
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    n_classes = int(labels.max() + 1)
    idx = _choose(rng, np.arange(len(labels)), _n_poison(len(labels), rate))
    y = labels.copy()
    y[idx] = (labels[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    mask = np.zeros(len(labels), dtype=bool)
    mask[idx] = True
    return PoisonedData(images.copy(), y, mask, labels.copy(), "random_flip")


DEFAULT_FLIP_PAIRS: tuple[tuple[int, int], ...] = ((1, 7), (3, 8), (4, 9), (5, 6), (2, 0))


def targeted_label_flip(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    pairs: tuple[tuple[int, int], ...] = DEFAULT_FLIP_PAIRS,
    max_share: float = 0.5,
    seed: int = 0,
) -> PoisonedData:
    """Relabel source-class items as a look-alike target class (1->7 first).

    Flipping more than half of a class would leave its label with no majority to learn from, so each
    source class gives at most ``max_share`` of its items and further pairs take the rest.
    """
    validate_images(images, labels)
    rng = np.random.default_rng(seed)
    n = _n_poison(len(labels), rate)
    used: list[tuple[int, int]] = []
    capacity = 0
    for src, dst in pairs:
        used.append((src, dst))
        capacity += int(max_share * np.sum(labels == src))
        if capacity >= n:
            break
    if capacity < n:
        raise ValueError(f"the flip pairs can hold {capacity} items, fewer than the {n} asked for")
    per_pair = np.full(len(used), n // len(used))
    per_pair[: n % len(used)] += 1
    y = labels.copy()
    mask = np.zeros(len(labels), dtype=bool)
    for (src, dst), k in zip(used, per_pair, strict=True):
        pool = np.flatnonzero(labels == src)
        k = min(int(k), int(max_share * len(pool)))
        idx = _choose(rng, pool, k)
        y[idx] = dst
        mask[idx] = True
    return PoisonedData(images.copy(), y, mask, labels.copy(), "targeted_flip", source_to_target=dict(used))


def _art_classifier(model: ImageClassifier, image_shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    from art.estimators.classification import PyTorchClassifier
    from torch import nn

    from sebrus.detect.models import TorchImageClassifier

    if not isinstance(model, TorchImageClassifier):
        raise TypeError("the clean-label proxy must be a torch model")
    channels = 1 if len(image_shape) == 2 else image_shape[2]
    return PyTorchClassifier(
        model=model.module,
        loss=nn.CrossEntropyLoss(),
        input_shape=(channels, image_shape[0], image_shape[1]),
        nb_classes=model.n_classes,
        clip_values=(0.0, 1.0),
    )


def clean_label_backdoor(
    images: np.ndarray,
    labels: np.ndarray,
    rate: float,
    *,
    target: int = 0,
    eps: float = 0.3,
    max_iter: int = 20,
    max_share: float = 0.5,
    seed: int = 0,
    proxy: ImageClassifier | None = None,
) -> PoisonedData:
    """Turner et al.'s clean-label backdoor through ART, keeping every label correct.

    Target-class images are pushed away from their class with PGD on a proxy model, then stamped with the
    patch, so the model leans on the patch to classify them. Only the target class can be poisoned, so at
    most ``max_share`` of it is used; the realised count is in the result.
    """
    validate_images(images, labels)
    from art.attacks.evasion import ProjectedGradientDescent
    from art.attacks.poisoning import PoisoningAttackBackdoor, PoisoningAttackCleanLabelBackdoor

    rng = np.random.default_rng(seed)
    n_classes = int(labels.max() + 1)
    pool = np.flatnonzero(labels == target)
    n = min(_n_poison(len(labels), rate), int(max_share * len(pool)))
    idx = _choose(rng, pool, n)
    proxy_model = proxy or train_reference_model(images, labels, n_classes=n_classes, epochs=3, seed=seed)
    art_proxy = _art_classifier(proxy_model, images.shape[1:])
    backdoor = PoisoningAttackBackdoor(patch_trigger)
    attack = PoisoningAttackCleanLabelBackdoor(
        backdoor,
        art_proxy,
        np.eye(n_classes)[target],
        pp_poison=0.5,
        eps=eps,
        eps_step=eps / 4,
        max_iter=max_iter,
    )
    # ART defect: PoisoningAttackCleanLabelBackdoor.poison() picks its victims with
    # np.random.choice(target_indices, num_poison), i.e. WITH replacement and from numpy's global RNG, so
    # it poisons fewer distinct images than asked and is not reproducible. We choose the victims ourselves
    # (without replacement, seeded) and run the attack's own two stages, its PGD and its backdoor, on them.
    assert isinstance(attack.attack, ProjectedGradientDescent)
    attack.attack.set_params(verbose=False)
    chosen = images[idx]
    nchw = chosen[:, None] if chosen.ndim == 3 else np.transpose(chosen, (0, 3, 1, 2))
    perturbed = attack.attack.generate(nchw.astype(np.float32))
    perturbed = perturbed[:, 0] if chosen.ndim == 3 else np.transpose(perturbed, (0, 2, 3, 1))
    stamped, _ = attack.backdoor.poison(
        perturbed.astype(np.float32), y=np.eye(n_classes)[target], broadcast=True
    )
    x = images.copy()
    x[idx] = np.clip(stamped, 0.0, 1.0)
    mask = np.zeros(len(labels), dtype=bool)
    mask[idx] = True
    return PoisonedData(x, labels.copy(), mask, labels.copy(), "clean_label", target, patch_trigger)


def assign_contributors(
    poison_mask: np.ndarray,
    *,
    n_contributors: int = 20,
    n_malicious: int = 3,
    poison_share: float = 0.9,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Spread items over contributors, with ``n_malicious`` of them holding ``poison_share`` of the poison.

    Malicious contributors also upload clean items, as a careful attacker would, so that they are not
    trivially all-poison. Returns per-item contributor ids ("c00", ...) and the malicious ids.
    """
    if not 0 < n_malicious < n_contributors:
        raise ValueError("need at least one malicious and one honest contributor")
    if not 0.0 <= poison_share <= 1.0:
        raise ValueError(f"poison_share must lie in [0, 1], got {poison_share}")
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i:02d}" for i in range(n_contributors)])
    malicious = ids[:n_malicious]
    owner = rng.integers(0, n_contributors, size=len(poison_mask))
    poisoned = np.flatnonzero(poison_mask)
    to_malicious = rng.random(len(poisoned)) < poison_share
    owner[poisoned[to_malicious]] = rng.integers(0, n_malicious, size=int(to_malicious.sum()))
    owner[poisoned[~to_malicious]] = rng.integers(
        n_malicious, n_contributors, size=int((~to_malicious).sum())
    )
    return ids[owner], malicious


def attack_success_rate(
    model: ImageClassifier, test_images: np.ndarray, test_labels: np.ndarray, poisoned: PoisonedData
) -> float | None:
    """Share of triggered (or source-class) test items the model sends where the attacker wanted.

    Random flips have no attacker-chosen outcome, so they return None.
    """
    n_classes = model.n_classes
    if poisoned.kind == "patch_all_to_all" and poisoned.trigger is not None:
        pred = model.predict_proba(poisoned.trigger(test_images)).argmax(axis=1)
        return float(np.mean(pred == (test_labels + 1) % n_classes))
    if poisoned.trigger is not None and poisoned.target is not None:
        keep = test_labels != poisoned.target
        pred = model.predict_proba(poisoned.trigger(test_images[keep])).argmax(axis=1)
        return float(np.mean(pred == poisoned.target))
    if poisoned.source_to_target:
        hits, total = 0, 0
        for src, dst in poisoned.source_to_target.items():
            sel = test_labels == src
            if sel.any():
                hits += int(np.sum(model.predict_proba(test_images[sel]).argmax(axis=1) == dst))
                total += int(sel.sum())
        return hits / total if total else None
    return None

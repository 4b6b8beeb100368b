"""A small patch-backdoored digits set rendered to PNG, for scans through the platform."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from sebrus.detect.attacks import patch_backdoor
from sebrus.detect.datasets import load_digits
from tests.support.images import to_png


@dataclass(frozen=True)
class Upload:
    png: bytes
    label: str
    poisoned: bool


@dataclass(frozen=True)
class PoisonedDigits:
    labels: list[str]
    honest: list[Upload]
    malicious: list[Upload]  # every poisoned item plus some clean cover
    seed: list[tuple[str, bytes]]  # the owner's vetted images

    @property
    def planted(self) -> set[bytes]:
        return {u.png for u in self.malicious if u.poisoned}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make(n_classes: int, per_class: int, seed_per_class: int, rate: float, seed: int = 0) -> PoisonedDigits:
    """``per_class`` contributed and ``seed_per_class`` vetted digits of each of the first ``n_classes``."""
    images, labels = load_digits()
    rng = np.random.default_rng(seed)
    data_idx, seed_idx = [], []
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(labels == c))
        data_idx.extend(idx[:per_class])
        seed_idx.extend(idx[per_class : per_class + seed_per_class])
    data = np.array(data_idx)
    poisoned = patch_backdoor(images[data], labels[data], rate, target=0, seed=seed)
    names = [f"d{c}" for c in range(n_classes)]
    seen: set[bytes] = set()
    honest, malicious = [], []
    cover = rng.random(len(data)) < 0.08
    for k in range(len(data)):
        png = to_png(poisoned.images[k])
        if png in seen:  # identical digits exist; the platform would call the second one a duplicate
            continue
        seen.add(png)
        upload = Upload(png, names[int(poisoned.labels[k])], bool(poisoned.poison_mask[k]))
        (malicious if upload.poisoned or cover[k] else honest).append(upload)
    vetted = []
    for k in seed_idx:
        png = to_png(images[k])
        if png not in seen:
            seen.add(png)
            vetted.append((names[int(labels[k])], png))
    return PoisonedDigits(names, honest, malicious, vetted)

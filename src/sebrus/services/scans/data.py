"""What a scan reads: a dataset's items and seed set, from the database and the blob store, as arrays.

The detectors want one array of one shape, but uploads may differ in size and colour mode. Images are
all read as RGB, kept grayscale only when every one is grey, resized to the most common size, and
downscaled so that the longer side is at most ``MAX_SIDE`` (the reference CNN pools adaptively, and a
larger raster only slows training on CPU). Every such choice is written into the report's notes.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, Item, ItemStatus, Revocation, RevocationState, Scan, ScanScope
from sebrus.services.scans.seeds import holdout_hashes, seed_rows

MAX_SIDE = 64
#: The detectors fit per-class models and cross-validate: fewer items than this in a class is noise.
MIN_ITEMS_PER_CLASS = 10
MIN_CLASSES = 2


class NotEnoughData(Exception):
    """The dataset is too small to scan meaningfully; the message says what is missing."""


@dataclass
class ScanInputs:
    items: list[Item]  # every item the detectors see, in id order
    in_scope: np.ndarray  # which of them get results (all, or those new since the last scan)
    images: np.ndarray
    labels: np.ndarray
    contributors: np.ndarray
    trusted_hashes: list[str]
    trusted_images: np.ndarray | None
    trusted_labels: np.ndarray | None
    notes: list[str] = field(default_factory=list)
    #: Contributors the owner already suspects (an active revocation on this dataset): their items are
    #: tested as one pre-specified group by ``sebrus.detect.scan.scan(suspect_contributors=...)``.
    suspect_contributors: list[str] = field(default_factory=list)


def load_scan_inputs(
    db: Session,
    blobs: BlobStore,
    dataset: Dataset,
    scan: Scan,
    progress: Callable[[float], None] | None = None,
) -> ScanInputs:
    """Everything ``sebrus.detect.scan`` needs for this scan; raises :class:`NotEnoughData` when too small."""
    seeds = seed_rows(db, dataset)
    seed_hashes = {s.content_hash for s in seeds}
    rows = list(
        db.scalars(
            select(Item)
            .where(
                Item.dataset_id == dataset.id,
                Item.id <= scan.upto_item_id,
                Item.status != ItemStatus.REJECTED,
            )
            .order_by(Item.id)
        )
    )
    notes: list[str] = []
    items = [i for i in rows if i.content_hash not in seed_hashes]
    if len(items) < len(rows):
        notes.append(f"{len(rows) - len(items)} items are in the seed set: trusted, not scanned")
    items, dropped = _drop_small_classes(items)
    if dropped:
        shown = ", ".join(f"{label!r} ({n})" for label, n in sorted(dropped.items()))
        notes.append(f"labels with fewer than {MIN_ITEMS_PER_CLASS} items were not scanned: {shown}")
    classes = {i.label for i in items}
    if len(classes) < MIN_CLASSES:
        counts = Counter(i.label for i in rows if i.content_hash not in seed_hashes)
        have = ", ".join(f"{label!r}: {n}" for label, n in sorted(counts.items())) or "no items"
        raise NotEnoughData(
            f"Not enough data to scan: the detectors need at least {MIN_CLASSES} labels with "
            f"{MIN_ITEMS_PER_CLASS} or more items each (this dataset has {have})."
        )
    in_scope = np.array(
        [i.id > scan.since_item_id if scan.scope is ScanScope.NEW_SINCE_LAST else True for i in items]
    )
    if not in_scope.any():
        raise NotEnoughData("No items were added since the last scan, so there is nothing new to scan.")
    label_index = {label: k for k, label in enumerate(dataset.labels)}
    held_out = holdout_hashes(seeds)
    usable_seeds = [s for s in seeds if s.label in label_index and s.content_hash not in held_out]
    if held_out:
        notes.append(
            f"{len(held_out)} seed images are held out for release monitoring and not used by this scan"
        )
    suspects = revoked_contributors(db, dataset)
    present = set(i.contributor_address for i in items)
    suspects = [a for a in suspects if a in present]
    if suspects:
        notes.append(
            f"{len(suspects)} revoked contributor(s) tested as a suspect group: " + ", ".join(suspects)
        )
    raw: list[bytes] = []
    total = len(items) + len(usable_seeds)
    for n, key in enumerate([i.content_hash for i in items] + [s.content_hash for s in usable_seeds]):
        raw.append(blobs.get(key))
        if progress is not None and n % 256 == 0:
            progress(n / max(total, 1))
    stack, read_notes = decode_images(raw)
    notes.extend(read_notes)
    n = len(items)
    trusted_images = stack[n:] if usable_seeds else None
    trusted_labels = (
        np.array([label_index[s.label] for s in usable_seeds], dtype=np.int64) if usable_seeds else None
    )
    return ScanInputs(
        items=items,
        in_scope=in_scope,
        images=stack[:n],
        labels=np.array([i.label_index for i in items], dtype=np.int64),
        contributors=np.array([i.contributor_address for i in items], dtype=str),
        trusted_hashes=[s.content_hash for s in usable_seeds],
        trusted_images=trusted_images,
        trusted_labels=trusted_labels,
        notes=notes,
        suspect_contributors=suspects,
    )


def revoked_contributors(db: Session, dataset: Dataset) -> list[str]:
    """Addresses under an active revocation on ``dataset``, oldest revocation first."""
    return list(
        db.scalars(
            select(Revocation.contributor_address)
            .where(Revocation.dataset_id == dataset.id, Revocation.state == RevocationState.ACTIVE)
            .order_by(Revocation.id)
        )
    )


def _drop_small_classes(items: list[Item]) -> tuple[list[Item], dict[str, int]]:
    counts = Counter(i.label for i in items)
    small = {label: n for label, n in counts.items() if n < MIN_ITEMS_PER_CLASS}
    return [i for i in items if i.label not in small], small


def decode_images(raw: Sequence[bytes]) -> tuple[np.ndarray, list[str]]:
    """Decode to one float32 array in [0, 1]: (N, H, W) when every image is grey, else (N, H, W, 3)."""
    pictures = []
    for data in raw:
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)  # GIF: the first frame, as at upload
            pictures.append(img.convert("RGB"))
    notes: list[str] = []
    sizes = Counter(p.size for p in pictures)
    width, height = sizes.most_common(1)[0][0]
    if len(sizes) > 1:
        n_resized = sum(count for s, count in sizes.items() if s != (width, height))
        notes.append(f"{n_resized} images resized to {width}x{height} (the most common size)")
    scale = min(1.0, MAX_SIDE / max(width, height))
    if scale < 1.0:
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
        notes.append(f"images downscaled to {width}x{height} for the detectors")
    stack = np.stack(
        [
            np.asarray(
                p if p.size == (width, height) else p.resize((width, height), Image.Resampling.BILINEAR),
                dtype=np.float32,
            )
            / 255.0
            for p in pictures
        ]
    )
    grey = bool(np.all(stack[..., 0] == stack[..., 1]) and np.all(stack[..., 1] == stack[..., 2]))
    notes.append("all images read as grayscale" if grey else "images read as RGB (at least one has colour)")
    return (stack[..., 0] if grey else stack), notes

"""The owner's own scan model: upload it, check it, keep it in the blob store, and load it for scans.

By default a scan trains the reference CNN on the dataset and clusters its hidden layer. The paper's
owner may instead upload a model of their own; its hidden layer (an exported ``embed``, else its
logits) then feeds the clustering detectors. Formats are those of ``sebrus detect --model``, which
cannot run code when read (``sebrus.detect.uploaded_model``): TorchScript, safetensors or a
weights-only state dict of the ``reference_cnn`` architecture; pickles are refused.

Everything is checked before anything is stored: the bytes must load, the model must have one output
per dataset label, and when the dataset holds images it must run on a sample of them as a scan reads
them (same size and colour mode). Then the bytes go to the blob store under their sha256 and the
dataset row names that hash; a scan records the hash it was started with and loads those bytes, so a
later change of model never changes what an earlier scan ran with, and the report names the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobNotFound, BlobStore
from sebrus.db.models import Dataset, DatasetSeed, Item, ItemStatus, User
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import ConfigurationError, InvalidInput, ServiceError

if TYPE_CHECKING:
    from sebrus.detect.models import ImageClassifier

#: The largest model accepted on the server; ``sebrus.detect.uploaded_model.MAX_MODEL_BYTES`` or less.
MAX_SCAN_MODEL_BYTES = 128 * 1024 * 1024
#: Images of the dataset a new model must run on (seed images first, then the newest items).
SAMPLE_IMAGES = 16
REFERENCE = "reference CNN"
_NAME_JUNK = re.compile(r"[\x00-\x1f\x7f]")


class ScanModelTooLarge(InvalidInput):
    def __init__(self, limit: int = MAX_SCAN_MODEL_BYTES) -> None:
        super().__init__(f"The model file is larger than the limit of {limit:,} bytes.", field="file")
        self.limit = limit


class ScanModelError(ServiceError):
    """A scan could not use the dataset's model (the scan fails with this message)."""


@dataclass(frozen=True)
class ScanModelInfo:
    """Which model scans of a dataset use: the owner's (``sha256`` set) or the reference CNN."""

    sha256: str | None
    format: str | None
    size: int | None
    name: str | None
    set_at: datetime | None
    classes: list[str]
    checked_on: str | None = None  # the sample the model ran on when it was set (in that answer only)

    @property
    def uploaded(self) -> bool:
        return self.sha256 is not None

    @property
    def description(self) -> str:
        return "uploaded" if self.uploaded else REFERENCE


def current_model(dataset: Dataset) -> ScanModelInfo:
    return ScanModelInfo(
        sha256=dataset.scan_model_sha256,
        format=dataset.scan_model_format,
        size=dataset.scan_model_size,
        name=dataset.scan_model_name,
        set_at=dataset.scan_model_set_at,
        classes=list(dataset.labels),
    )


def clean_name(name: str | None) -> str | None:
    """A file name for display: its last path part, without control characters, at most 128 long."""
    if not name:
        return None
    last = re.split(r"[\\/]", name)[-1]
    cleaned = _NAME_JUNK.sub("", last).strip()[:128]
    return cleaned or None


def _detect_loader() -> Any:
    try:
        from sebrus.detect import uploaded_model
    except ImportError as exc:  # torch and safetensors come with the `detect` extra
        raise ConfigurationError(
            f"This server cannot load models: install sebrus with the `detect` extra ({exc})."
        ) from exc
    return uploaded_model


def sample_images(db: Session, blobs: BlobStore, dataset: Dataset) -> tuple[np.ndarray | None, list[str]]:
    """A few of the dataset's images decoded as a scan reads them; (None, notes) when it has none."""
    from sebrus.services.scans.data import decode_images

    keys = list(
        db.scalars(
            select(DatasetSeed.content_hash)
            .where(DatasetSeed.dataset_id == dataset.id)
            .order_by(DatasetSeed.id)
            .limit(SAMPLE_IMAGES)
        )
    )
    if len(keys) < SAMPLE_IMAGES:
        keys += db.scalars(
            select(Item.content_hash)
            .where(Item.dataset_id == dataset.id, Item.status != ItemStatus.REJECTED)
            .order_by(Item.id.desc())
            .limit(SAMPLE_IMAGES - len(keys))
        )
    raw = []
    for key in dict.fromkeys(keys):
        try:
            raw.append(blobs.get(key))
        except BlobNotFound:
            continue
    if not raw:
        return None, []
    return decode_images(raw)


def _describe(images: np.ndarray) -> str:
    height, width = images.shape[1:3]
    mode = "grayscale" if images.ndim == 3 else f"{images.shape[3]}-channel"
    return f"{len(images)} of the dataset's images ({width}x{height}, {mode})"


def in_channels(images: np.ndarray | None) -> int | None:
    if images is None:
        return None
    return 1 if images.ndim == 3 else int(images.shape[3])


def probe(model: ImageClassifier, images: np.ndarray, n_classes: int) -> None:
    """Run ``model`` on ``images``; raise ``ValueError`` naming what does not fit a scan."""
    try:
        probs = np.asarray(model.predict_proba(images))
        embedded = np.asarray(model.embed(images))
    except Exception as exc:  # a TorchScript graph raises whatever its code raises
        raise ValueError(f"it does not run on {_describe(images)}: {type(exc).__name__}: {exc}") from exc
    if probs.shape != (len(images), n_classes):
        raise ValueError(f"it gives outputs of shape {probs.shape[1:]}, the dataset has {n_classes} labels")
    if not np.isfinite(probs).all():
        raise ValueError(f"it gives non-finite outputs on {_describe(images)}")
    if embedded.ndim != 2 or len(embedded) != len(images):
        raise ValueError(
            f"its embedding has shape {embedded.shape[1:]} per batch; it must give one vector per image"
        )


def check_can_change(db: Session, dataset: Dataset, user: User) -> None:
    """Owner only; faces call this before they read a large body."""
    require_owner(db, dataset, user, "change the scan model of")


def set_scan_model(
    db: Session, blobs: BlobStore, dataset: Dataset, user: User, data: bytes, *, name: str | None = None
) -> ScanModelInfo:
    """Check ``data`` as the dataset's scan model and, only if it passes, store it and use it."""
    check_can_change(db, dataset, user)
    if len(data) > MAX_SCAN_MODEL_BYTES:
        raise ScanModelTooLarge()
    if not data:
        raise InvalidInput("The model file is empty.", field="file")
    shown = clean_name(name)
    loader = _detect_loader()
    n_classes = len(dataset.labels)
    images, _notes = sample_images(db, blobs, dataset)
    try:
        loaded = loader.load_model_bytes(
            data, n_classes=n_classes, in_channels=in_channels(images), name=shown or "the model file"
        )
        if images is not None:
            probe(loaded.classifier, images, n_classes)
    except loader.UnsafeModelError as exc:
        raise InvalidInput(f"Refused: {exc}", field="file") from exc
    except (loader.ModelFormatError, ValueError) as exc:
        raise InvalidInput(f"This model cannot scan this dataset: {exc}", field="file") from exc
    stored = blobs.put(data)
    previous = dataset.scan_model_sha256
    dataset.scan_model_sha256 = stored.key
    dataset.scan_model_format = loaded.format
    dataset.scan_model_size = stored.size
    dataset.scan_model_name = shown
    dataset.scan_model_set_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan_model.set",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "sha256": stored.key,
            "format": loaded.format,
            "size": stored.size,
            "name": shown,
            "previous": previous,
            "checked_on": _describe(images) if images is not None else None,
        },
    )
    db.commit()
    return replace(current_model(dataset), checked_on=_describe(images) if images is not None else None)


def remove_scan_model(db: Session, dataset: Dataset, user: User) -> ScanModelInfo:
    """Back to the reference CNN. The bytes stay in the blob store: earlier reports name them."""
    check_can_change(db, dataset, user)
    previous = dataset.scan_model_sha256
    if previous is not None:
        dataset.scan_model_sha256 = None
        dataset.scan_model_format = None
        dataset.scan_model_size = None
        dataset.scan_model_name = None
        dataset.scan_model_set_at = None
        audit_log.record(
            db,
            "scan_model.remove",
            f"dataset:{dataset.id}",
            actor_user_id=user.id,
            details={"previous": previous},
        )
        db.commit()
    return current_model(dataset)


def load_for_scan(blobs: BlobStore, sha256: str, n_classes: int, images: np.ndarray) -> ImageClassifier:
    """The scan model stored under ``sha256``, tried on the scan's own images; ScanModelError if unusable."""
    prefix = f"the dataset's scan model (sha256 {sha256}) cannot be used"
    try:
        data = blobs.get(sha256)
    except BlobNotFound as exc:
        raise ScanModelError(f"{prefix}: its file is missing from the blob store") from exc
    loader = _detect_loader()
    try:
        loaded = loader.load_model_bytes(data, n_classes=n_classes, in_channels=in_channels(images))
        probe(loaded.classifier, images[:SAMPLE_IMAGES], n_classes)
    except (loader.UnsafeModelError, loader.ModelFormatError, ValueError) as exc:
        raise ScanModelError(f"{prefix}: {exc}") from exc
    classifier: ImageClassifier = loaded.classifier
    return classifier

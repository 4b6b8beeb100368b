"""The dataset's vetted seed set: images the owner vouches for, the trusted data every scan leans on.

Scans need clean examples they know to be clean: half calibrate the ensemble's false-positive rate,
half train the trusted model behind the contributor-level detectors and the anchored label check.
The owner supplies them in either of two ways, and both end up as the same kind of row:

* **seed files** uploaded by the owner (with the dataset's creation request, or later). They are
  validated like uploads and stored in the blob store, but never anchored as items: they are the
  owner's reference data, not contributions, so they never enter a release and cost no gas;
* **existing items** the owner picks by sha256, e.g. items they reviewed by hand. Their bytes are
  already stored; the item's label is the seed's label. Scans leave them out of the scanned data.

A share of the uploaded seed files is **held out for release monitoring** (:func:`monitoring_holdout`):
scans never see it, so that a model trained on a release is measured on images nothing upstream of the
release was tuned on.

The seed set is visible to the owner only: knowing exactly which images calibrate the detectors
would help an attacker tune poison to pass them. A scan report commits to the set by a digest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, DatasetSeed, Item, SeedSource, User
from sebrus.primitives import normalize_sha256
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import InvalidInput, NotFound
from sebrus.services.ingest.images import inspect_image

MAX_SEEDS_PER_REQUEST = 5000
#: Share of each label's uploaded seed files held out for release monitoring (see monitoring_holdout).
HOLDOUT_SHARE = 0.25
#: A label needs this many uploaded seed files before any of them is held out.
HOLDOUT_MIN_PER_LABEL = 4


@dataclass(frozen=True)
class SeedFile:
    """A validated seed image, ready to store: its bytes, label and sha256."""

    label: str
    data: bytes
    content_hash: str


@dataclass(frozen=True)
class SeedLimits:
    """The parts of a dataset's policy that seed files must satisfy (known before the dataset exists)."""

    labels: Sequence[str]
    max_bytes: int
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None

    @classmethod
    def of(cls, dataset: Dataset) -> SeedLimits:
        return cls(
            dataset.labels,
            dataset.max_bytes,
            dataset.min_width,
            dataset.max_width,
            dataset.min_height,
            dataset.max_height,
        )


def decode_base64_image(value: str, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            f"{where}: `data` must be the image bytes in standard base64.", field="seed"
        ) from None


def prepare_seed_files(images: Sequence[tuple[str, bytes]], limits: SeedLimits) -> list[SeedFile]:
    """Validate every seed image (label, decodable image, size and pixel bounds) before anything is stored.

    Run before the dataset is created on chain, so that a bad seed file refuses the whole request.
    """
    if len(images) > MAX_SEEDS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_SEEDS_PER_REQUEST} seed images per request.", field="seed")
    prepared: dict[str, SeedFile] = {}
    for index, (label, data) in enumerate(images):
        where = f"seed image {index}"
        if label not in limits.labels:
            raise InvalidInput(f"{where}: label {label!r} is not in the dataset's label set.", field="seed")
        if len(data) > limits.max_bytes:
            raise InvalidInput(
                f"{where}: larger than the dataset's limit of {limits.max_bytes:,} bytes.", field="seed"
            )
        try:
            inspect_image(
                data,
                min_width=limits.min_width,
                max_width=limits.max_width,
                min_height=limits.min_height,
                max_height=limits.max_height,
            )
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}", field="seed") from None
        digest = hashlib.sha256(data).hexdigest()
        earlier = prepared.get(digest)
        if earlier is not None and earlier.label != label:
            raise InvalidInput(f"{where}: the same image is given twice with different labels.", field="seed")
        prepared[digest] = SeedFile(label, data, digest)
    return list(prepared.values())


def store_seed_files(
    db: Session, blobs: BlobStore, dataset: Dataset, user: User, files: Sequence[SeedFile]
) -> list[DatasetSeed]:
    """Store prepared seed files and add them to the seed set; an image already in the set is kept as is."""
    require_owner(db, dataset, user, "change the seed set of")
    existing = _existing(db, dataset)
    added = []
    for seed in files:
        if seed.content_hash in existing:
            if existing[seed.content_hash].label != seed.label:
                raise InvalidInput(
                    f"Seed image {seed.content_hash} is already in the seed set as "
                    f"{existing[seed.content_hash].label!r}.",
                    field="seed",
                )
            continue
        blobs.put(seed.data)
        row = DatasetSeed(
            dataset_id=dataset.id,
            content_hash=seed.content_hash,
            label=seed.label,
            source=SeedSource.UPLOAD,
            added_by_user_id=user.id,
        )
        db.add(row)
        existing[seed.content_hash] = row
        added.append(row)
    _record(db, dataset, user, added)
    db.commit()
    return added


def add_seed_items(db: Session, dataset: Dataset, user: User, hashes: Sequence[str]) -> list[DatasetSeed]:
    """Vouch for existing items: each becomes a seed under its item label."""
    require_owner(db, dataset, user, "change the seed set of")
    if len(hashes) > MAX_SEEDS_PER_REQUEST:
        raise InvalidInput(f"At most {MAX_SEEDS_PER_REQUEST} seed items per request.", field="items")
    wanted = []
    for value in hashes:
        try:
            wanted.append(normalize_sha256(value))
        except ValueError:
            raise InvalidInput(
                f"{value!r:.80} is not an item's sha256 (64 hex characters).", field="items"
            ) from None
    items = {
        i.content_hash: i
        for i in db.scalars(select(Item).where(Item.dataset_id == dataset.id, Item.content_hash.in_(wanted)))
    }
    missing = [h for h in wanted if h not in items]
    if missing:
        raise NotFound(f"No item {missing[0]} in this dataset ({len(missing)} of the hashes are unknown).")
    existing = _existing(db, dataset)
    added = []
    for digest in dict.fromkeys(wanted):
        if digest in existing:
            continue
        row = DatasetSeed(
            dataset_id=dataset.id,
            content_hash=digest,
            label=items[digest].label,
            source=SeedSource.ITEM,
            added_by_user_id=user.id,
        )
        db.add(row)
        existing[digest] = row
        added.append(row)
    _record(db, dataset, user, added)
    db.commit()
    return added


def list_seeds(db: Session, dataset: Dataset, user: User) -> list[DatasetSeed]:
    require_owner(db, dataset, user, "see the seed set of")
    return seed_rows(db, dataset)


def seed_rows(db: Session, dataset: Dataset) -> list[DatasetSeed]:
    """For scans (no permission check: a scan runs on the owner's behalf)."""
    return list(
        db.scalars(select(DatasetSeed).where(DatasetSeed.dataset_id == dataset.id).order_by(DatasetSeed.id))
    )


def remove_seed(db: Session, dataset: Dataset, user: User, content_hash: str) -> None:
    require_owner(db, dataset, user, "change the seed set of")
    row = db.scalar(
        select(DatasetSeed).where(
            DatasetSeed.dataset_id == dataset.id, DatasetSeed.content_hash == content_hash.strip().lower()
        )
    )
    if row is None:
        raise NotFound("That image is not in this dataset's seed set.")
    db.delete(row)  # the blob stays: it is content-addressed and may back an item or a report
    audit_log.record(
        db,
        "seed.remove",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"content_hash": row.content_hash},
    )
    db.commit()


def holdout_hashes(seeds: Iterable[DatasetSeed]) -> set[str]:
    """The rule that splits the seed set between scans and release monitoring; returns the held-out hashes.

    Why hold any out: scans decide what reaches a release using the seed images (calibration, the
    trusted model), so measuring a release on those same images is optimistic exactly where it matters:
    an attack that slipped past the scans was, by construction, one these images did not expose. A
    model trained on a release is measured fairly only on images no step before it has used.

    The rule, per label, over uploaded seed files only (a seed picked from existing items may be in a
    release, so it can never be held out from one):

    * fewer than ``HOLDOUT_MIN_PER_LABEL`` (4) files: none is held out; the scans need them more;
    * otherwise ``floor(HOLDOUT_SHARE * n)`` (25%, so at least 1) files, the ones whose sha256 sorts
      first. The hash is as good as a random draw yet needs no stored state (no migration) and is the
      same in every process; adding a seed moves at most one image between the two shares, and
      monitoring compares releases only on the held-out images both measurements share.
    """
    by_label: dict[str, list[str]] = defaultdict(list)
    for seed in seeds:
        if seed.source is SeedSource.UPLOAD:
            by_label[seed.label].append(seed.content_hash)
    held: set[str] = set()
    for hashes in by_label.values():
        if len(hashes) >= HOLDOUT_MIN_PER_LABEL:
            held.update(sorted(hashes)[: max(1, int(HOLDOUT_SHARE * len(hashes)))])
    return held


def monitoring_holdout(db: Session, dataset: Dataset) -> list[DatasetSeed]:
    """The held-out share of the seed set (:func:`holdout_hashes`) that monitoring can use, in id order.

    Left out as well: seeds outside the label set, and uploaded seed bytes that are also an item of the
    dataset (a release may contain them).
    """
    rows = seed_rows(db, dataset)
    held = holdout_hashes(rows)
    item_hashes = set(
        db.scalars(
            select(Item.content_hash).where(Item.dataset_id == dataset.id, Item.content_hash.in_(held))
        )
    )
    return [
        s
        for s in rows
        if s.content_hash in held and s.label in dataset.labels and s.content_hash not in item_hashes
    ]


def seed_set_digest(hashes: Sequence[str]) -> str:
    """sha256 over the sorted seed hashes: what a scan report records instead of the (private) list."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode("ascii")).hexdigest()


def _existing(db: Session, dataset: Dataset) -> dict[str, DatasetSeed]:
    return {s.content_hash: s for s in seed_rows(db, dataset)}


def _record(db: Session, dataset: Dataset, user: User, added: Sequence[DatasetSeed]) -> None:
    if added:
        audit_log.record(
            db,
            "seed.add",
            f"dataset:{dataset.id}",
            actor_user_id=user.id,
            details={"count": len(added), "sources": sorted({s.source.value for s in added})},
        )

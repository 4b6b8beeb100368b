"""Many contributions in one request: each file checked on its own, all accepted ones acknowledged at once.

A folder of images is the common case (``sebrus upload DIR``, a page of the Contribute form), and one
request per image pays the HTTP, authentication and transaction overhead every time. Here each file is
validated exactly as a single upload is, a file that fails is refused with its own reason while the
others go on, and every accepted file's blob and signed outbox entry are committed in ONE database
transaction: the acknowledgement covers the whole accepted set, and a crash before it covers none.

Bulk uploads are signed by the contributor's custodial wallet; a contributor signing with their own
wallet uploads one file at a time (each needs its own wallet prompt anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, Item, OutboxEntry, User
from sebrus.faults import maybe_crash
from sebrus.services.errors import Conflict, InvalidInput, ServiceError
from sebrus.services.ingest.contributions import (
    UploadRateLimiter,
    check_contribution,
    contributor_wallet,
    custodial_signature,
    outbox_entry,
    previous_upload,
)
from sebrus.services.ingest.images import ImageFacts
from sebrus.services.review.chain_link import ChainLink

MAX_FILES = 512
STORE_THREADS = 8
_STORE_POOL = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="bulk-store")


@dataclass(frozen=True)
class BulkFile:
    name: str  # as the client named it, for its report only: never a path on this server
    label: str
    data: bytes


@dataclass(frozen=True)
class BulkAccepted:
    name: str
    content_hash: str
    created: bool  # False: these bytes were already contributed by this contributor, with this label


@dataclass(frozen=True)
class BulkRefused:
    name: str
    reason: str


@dataclass(frozen=True)
class BulkOutcome:
    accepted: list[BulkAccepted]
    refused: list[BulkRefused]


@dataclass(frozen=True)
class _Checked:
    file: BulkFile
    content_hash: str
    facts: ImageFacts


def accept_bulk(
    db: Session,
    *,
    link: ChainLink,
    blobs: BlobStore,
    dataset: Dataset,
    user: User,
    files: Sequence[BulkFile],
    limiter: UploadRateLimiter | None = None,
) -> BulkOutcome:
    """Check each file, store the acceptable ones and queue them for the chain in one commit."""
    if not files:
        raise InvalidInput("A bulk upload needs at least one file.", field="files")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"A bulk upload takes at most {MAX_FILES} files; send the rest in another.")
    wallet = contributor_wallet(db, user)
    if limiter is not None:
        limiter.check(user.id, len(files))
    refused: list[BulkRefused] = []
    checked: dict[str, _Checked] = {}
    accepted: list[BulkAccepted] = []
    for file in files:
        try:
            content_hash, facts = check_contribution(dataset, file.label, file.data)
        except ServiceError as exc:
            refused.append(BulkRefused(file.name, exc.message))
            continue
        twin = checked.get(content_hash)
        if twin is not None:
            if twin.file.label != file.label:
                refused.append(
                    BulkRefused(file.name, f"the same image as {twin.file.name}, with another label")
                )
            else:
                accepted.append(BulkAccepted(file.name, content_hash, created=False))
            continue
        checked[content_hash] = _Checked(file, content_hash, facts)

    fresh = _without_earlier_uploads(db, dataset, wallet.address, checked, accepted, refused)
    # Each stored blob waits on two fsyncs (its bytes, its directory entry); they release the GIL, so
    # storing side by side overlaps the waits instead of paying them one after another.
    list(_STORE_POOL.map(blobs.put, [each.file.data for each in fresh]))
    entries = []
    for each in fresh:
        signature, deadline = custodial_signature(link, wallet, dataset, each.content_hash, each.file.label)
        entries.append(
            outbox_entry(
                dataset,
                content_hash=each.content_hash,
                label=each.file.label,
                contributor=wallet.address,
                signature=signature,
                deadline=deadline,
                size=len(each.file.data),
                facts=each.facts,
            )
        )
    maybe_crash("after-blob-put")
    db.add_all(entries)
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        # A single upload of one of these bytes committed in between: nothing of this request was
        # stored (blobs are content-addressed and harmless), and a retry sorts the files out.
        raise Conflict(
            "Some of these images were uploaded by another request at the same time; retry."
        ) from exc
    maybe_crash("after-outbox-commit")
    accepted.extend(BulkAccepted(each.file.name, each.content_hash, created=True) for each in fresh)
    return BulkOutcome(accepted=accepted, refused=refused)


def _without_earlier_uploads(
    db: Session,
    dataset: Dataset,
    contributor: str,
    checked: dict[str, _Checked],
    accepted: list[BulkAccepted],
    refused: list[BulkRefused],
) -> list[_Checked]:
    """Files whose bytes are new to the dataset; earlier uploads are sorted into accepted or refused,
    with two queries for the whole request rather than two per file."""
    if not checked:
        return []
    hashes = list(checked)
    items = {
        item.content_hash: item
        for item in db.scalars(
            select(Item).where(Item.dataset_id == dataset.id, Item.content_hash.in_(hashes))
        )
    }
    entries = {
        entry.content_hash: entry
        for entry in db.scalars(
            select(OutboxEntry).where(
                OutboxEntry.dataset_id == dataset.id, OutboxEntry.content_hash.in_(hashes)
            )
        )
    }
    fresh = []
    for content_hash, each in checked.items():
        try:
            earlier = previous_upload(
                dataset,
                content_hash,
                contributor,
                each.file.label,
                items.get(content_hash),
                entries.get(content_hash),
            )
        except Conflict as exc:
            refused.append(BulkRefused(each.file.name, exc.message))
            continue
        if earlier is not None:
            accepted.append(BulkAccepted(each.file.name, content_hash, created=False))
        else:
            fresh.append(each)
    return fresh

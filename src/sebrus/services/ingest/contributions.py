"""Accepting a contribution: validate, store the blob, sign, and queue it for the chain.

An upload is acknowledged once its blob is stored and its signed contribution sits in the outbox,
both committed. From there the relayer anchors it and the indexer records the item from the chain
event, so a crash at any point either loses an unacknowledged upload whole or finishes an
acknowledged one on restart; no half-made item is ever visible, because items appear only from
chain events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, Item, OutboxEntry, OutboxState, User, Wallet, WalletKind
from sebrus.faults import maybe_crash
from sebrus.services.errors import Conflict, InvalidInput, NotFound
from sebrus.services.ingest.external_signatures import Presigned, linked_wallet, verify
from sebrus.services.ingest.images import ImageFacts, inspect_image
from sebrus.services.rate_window import SlidingWindowLimiter
from sebrus.services.review.chain_link import ChainLink


class UploadTooLarge(InvalidInput):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than this dataset's limit of {limit:,} bytes.", field="file")
        self.limit = limit


@dataclass(frozen=True)
class Accepted:
    """What an upload became. ``item`` is set once the chain event has been indexed."""

    content_hash: str
    outbox: OutboxEntry | None
    item: Item | None
    created: bool
    facts: ImageFacts | None = None


class UploadRateLimiter(SlidingWindowLimiter):
    """A sliding one-minute window per contributor, in this process's memory."""

    def __init__(self, per_minute: int) -> None:
        super().__init__(per_minute, 60, f"Too many uploads: at most {per_minute} a minute per contributor.")
        self.per_minute = per_minute


def read_limited(chunks: Iterable[bytes], limit: int) -> bytes:
    """Join the chunks, refusing as soon as the running total passes ``limit``."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise UploadTooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)


def contributor_wallet(db: Session, user: User) -> Wallet:
    wallet = db.scalar(
        select(Wallet)
        .where(Wallet.user_id == user.id, Wallet.kind == WalletKind.CUSTODIAL)
        .order_by(Wallet.id)
    )
    if wallet is None:
        raise InvalidInput("Your account has no custodial wallet to sign contributions with.", field="wallet")
    return wallet


def check_label_and_size(dataset: Dataset, label: str, data: bytes) -> None:
    """The checks that cost nothing, made before the rate limit counts the upload."""
    if label not in dataset.labels:
        shown = ", ".join(dataset.labels[:20])
        raise InvalidInput(f"Label {label!r} is not in this dataset's label set ({shown}).", field="label")
    if len(data) > dataset.max_bytes:
        raise UploadTooLarge(dataset.max_bytes)


def check_contribution(dataset: Dataset, label: str, data: bytes) -> tuple[str, ImageFacts]:
    """The content hash and image facts of an acceptable upload; raises InvalidInput naming the problem."""
    check_label_and_size(dataset, label, data)
    facts = inspect_image(
        data,
        min_width=dataset.min_width,
        max_width=dataset.max_width,
        min_height=dataset.min_height,
        max_height=dataset.max_height,
    )
    return hashlib.sha256(data).hexdigest(), facts


def outbox_entry(
    dataset: Dataset,
    *,
    content_hash: str,
    label: str,
    contributor: str,
    signature: str,
    deadline: int,
    size: int,
    facts: ImageFacts,
) -> OutboxEntry:
    """The promise an acknowledged upload leaves behind, with what the item row will need."""
    return OutboxEntry(
        dataset_id=dataset.id,
        content_hash=content_hash,
        label_index=list(dataset.labels).index(label),
        contributor_address=contributor,
        signature=signature,
        deadline=deadline,
        state=OutboxState.PENDING,
        size=size,
        width=facts.width,
        height=facts.height,
        media_type=facts.media_type,
    )


def custodial_signature(
    link: ChainLink, wallet: Wallet, dataset: Dataset, content_hash: str, label: str
) -> tuple[str, int]:
    signed = link.ledger.sign_contribution(
        link.signer_for(wallet), dataset.address, bytes.fromhex(content_hash), label
    )
    return "0x" + signed.signature.hex(), signed.deadline


def accept_upload(
    db: Session,
    *,
    link: ChainLink,
    blobs: BlobStore,
    dataset: Dataset,
    user: User,
    label: str,
    data: bytes,
    limiter: UploadRateLimiter | None = None,
    presigned: Presigned | None = None,
) -> Accepted:
    """``presigned``: the contributor's own wallet signed it (checked here before anything is stored);
    otherwise the user's custodial wallet signs."""
    check_label_and_size(dataset, label, data)
    if limiter is not None:
        limiter.check(user.id)
    content_hash, facts = check_contribution(dataset, label, data)
    if presigned is None:
        wallet = contributor_wallet(db, user)
    else:
        wallet = linked_wallet(db, user, presigned.contributor)
        verify(dataset, content_hash=content_hash, label=label, presigned=presigned)

    existing = _existing(db, dataset, content_hash, wallet.address, label)
    if existing is not None:
        return existing

    blobs.put(data)  # idempotent: the key is the content's own hash
    maybe_crash("after-blob-put")
    if presigned is None:
        signature, deadline = custodial_signature(link, wallet, dataset, content_hash, label)
    else:
        signature, deadline = presigned.signature.lower(), presigned.deadline
    entry = outbox_entry(
        dataset,
        content_hash=content_hash,
        label=label,
        contributor=wallet.address,
        signature=signature,
        deadline=deadline,
        size=len(data),
        facts=facts,
    )
    db.add(entry)
    dataset_id = dataset.id  # read before a rollback expires the row
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        if db.scalar(select(Dataset.id).where(Dataset.id == dataset_id)) is None:  # deleted meanwhile
            gone = "The dataset was deleted while this upload was stored; nothing was kept."
            raise NotFound(gone) from None
        # The same bytes arrived twice at once; the other request won.
        again = _existing(db, dataset, content_hash, wallet.address, label)
        if again is None:
            raise
        return again
    maybe_crash("after-outbox-commit")
    return Accepted(content_hash, entry, None, created=True, facts=facts)


def _existing(
    db: Session, dataset: Dataset, content_hash: str, contributor: str, label: str
) -> Accepted | None:
    """A retried upload of the same bytes returns what the first one made; anyone else's is a conflict."""
    item = db.scalar(select(Item).where(Item.dataset_id == dataset.id, Item.content_hash == content_hash))
    entry = db.scalar(
        select(OutboxEntry).where(
            OutboxEntry.dataset_id == dataset.id, OutboxEntry.content_hash == content_hash
        )
    )
    return previous_upload(dataset, content_hash, contributor, label, item, entry)


def previous_upload(
    dataset: Dataset,
    content_hash: str,
    contributor: str,
    label: str,
    item: Item | None,
    entry: OutboxEntry | None,
) -> Accepted | None:
    """What an earlier upload of these bytes made, or None; raises Conflict when it was not this one's."""
    if item is None and entry is None:
        return None
    if entry is not None and entry.state is OutboxState.TAKEN and entry.contributor_address == contributor:
        raise Conflict(entry.error or "This image was anchored first by another wallet.")
    owner = item.contributor_address if item is not None else entry.contributor_address  # type: ignore[union-attr]
    if owner != contributor:
        raise Conflict("This image is already in the dataset, contributed by someone else.")
    if entry is not None and entry.state is OutboxState.FAILED and item is None:
        raise Conflict(f"An earlier upload of this image failed to anchor: {entry.error}")
    recorded_label = item.label if item is not None else dataset.labels[entry.label_index]  # type: ignore[union-attr]
    if recorded_label != label:
        raise Conflict(f"You already contributed this image with the label {recorded_label!r}.")
    return Accepted(content_hash, entry, item, created=False)

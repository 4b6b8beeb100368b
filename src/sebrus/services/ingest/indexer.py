"""Follow the chain's events into the database.

The chain is the source of truth; the ``items`` table is an index of it. The indexer reads events
from a cursor (the next block to read), applies them and moves the cursor in ONE transaction, so a
crash repeats at most the unfinished range and applying an event twice changes nothing. On rpc
chains it stays ``confirmations`` blocks behind the head.

Several processes may call :meth:`Indexer.sync` (the worker's loop, a web process right after a
vote): the coordinator's ``indexer`` mutex makes them take turns, and each reads the cursor only once
it holds the mutex. Uploads waiting for their item hear about it through :mod:`sebrus.jobs.signals`,
from whichever process indexed it.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from PIL import Image
from sqlalchemy import Executable, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobError, BlobStore
from sebrus.chain.ledger import Ledger
from sebrus.chain.types import ChainEvent
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import ChainCursor, Dataset, Item, ItemStatus, OutboxEntry, OutboxState, Wallet
from sebrus.jobs.coordination import Coordinator, LocalCoordinator
from sebrus.jobs.signals import INDEXED, Signals
from sebrus.services import audit_log
from sebrus.services.ingest.outbox import mark_taken, same_wallet

log = logging.getLogger(__name__)

CURSOR_NAME = "ledger-events"
MAX_BLOCKS_PER_SYNC = 2_000

_STATUS = {
    ChainStatus.PENDING: ItemStatus.PENDING,
    ChainStatus.QUARANTINED: ItemStatus.QUARANTINED,
    ChainStatus.APPROVED: ItemStatus.APPROVED,
    ChainStatus.REJECTED: ItemStatus.REJECTED,
}


def indexed_key(dataset_id: int, content_hash: str) -> str:
    return f"{dataset_id}:{content_hash}"


class EventExtension(Protocol):
    """Applies events that are not a dataset's (the review network's) in the indexer's transaction."""

    def apply(self, db: Session, event: ChainEvent) -> None: ...


class Indexer:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        ledger: Ledger,
        blobs: BlobStore,
        *,
        confirmations: int = 0,
        extensions: Sequence[EventExtension] = (),
        coordinator: Coordinator | None = None,
        signals: Signals | None = None,
    ) -> None:
        self._extensions = tuple(extensions)
        self._coordinator = coordinator or LocalCoordinator()
        self.signals = signals or Signals()
        self._sessions = session_factory
        self._ledger = ledger
        self._blobs = blobs
        self._confirmations = confirmations
        self._lock = threading.Lock()

    def sync(self) -> int:
        """Index every event up to the confirmed head; returns how many events were applied."""
        with self._lock, self._coordinator.mutex("indexer"):
            applied: list[str] = []
            with self._sessions() as db:
                cursor = db.get(ChainCursor, CURSOR_NAME)
                if cursor is None:
                    cursor = ChainCursor(
                        name=CURSOR_NAME, block_number=self._ledger.deployment.block_number, log_index=-1
                    )
                    db.add(cursor)
                head = self._ledger.block_number() - self._confirmations
                if head < cursor.block_number:
                    return 0
                last = min(head, cursor.block_number + MAX_BLOCKS_PER_SYNC - 1)
                events = self._ledger.events(cursor.block_number, last)
                datasets = {d.address: d for d in db.scalars(select(Dataset))}
                for event in events:
                    key = self._apply(db, datasets, event)
                    if key is not None:
                        applied.append(indexed_key(*key))
                cursor.block_number = last + 1
                cursor.log_index = -1
                if applied:
                    self.signals.announce(db, INDEXED, applied)  # other processes hear it at commit
                db.commit()
            if applied:
                self.signals.wake(INDEXED, applied)
            return len(events)

    def wait_for(self, dataset_id: int, content_hash: str, timeout: float) -> bool:
        """Block until the item is indexed (True) or ``timeout`` seconds pass (False), whichever
        process indexes it."""

        query = select(Item.id).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash)

        def indexed() -> bool:
            with self._sessions() as db:
                return db.scalar(query) is not None

        return self.signals.wait_until(INDEXED, indexed_key(dataset_id, content_hash), indexed, timeout)

    # ------------------------------------------------------------------ applying events

    def _apply(self, db: Session, datasets: dict[str, Dataset], event: ChainEvent) -> tuple[int, str] | None:
        dataset = datasets.get(event.address)
        if dataset is None:
            # The manager's own events, other contracts' (extensions), or a dataset made elsewhere.
            for extension in self._extensions:
                extension.apply(db, event)
            return None
        if event.name == "ItemSubmitted":
            return self._submitted(db, dataset, event)
        if event.name == "ItemQuarantined":
            self._set_status(db, dataset, event, ItemStatus.QUARANTINED)
        elif event.name == "ItemResolved":
            status = _STATUS[ChainStatus(event.args["status"])]
            self._set_status(db, dataset, event, status)
            # The review network's verdict is an automated decision: it joins the audit log with the row.
            audit_log.record(
                db,
                "item.resolve",
                f"dataset:{dataset.id}",
                details={
                    "automated": True,
                    "content_hash": bytes(event.args["contentHash"]).hex(),
                    "status": status.value,
                    "tx_hash": event.tx_hash,
                    "block_number": event.block_number,
                },
            )
        return None

    def _submitted(self, db: Session, dataset: Dataset, event: ChainEvent) -> tuple[int, str] | None:
        content_hash = bytes(event.args["contentHash"]).hex()
        existing = db.scalar(
            select(Item.id).where(Item.dataset_id == dataset.id, Item.content_hash == content_hash)
        )
        if existing is not None:
            return None  # the relayer wrote it from its receipt: nothing to reconcile
        label_index = int(event.args["label"])
        contributor = str(event.args["contributor"])
        entry = db.scalar(
            select(OutboxEntry).where(
                OutboxEntry.dataset_id == dataset.id, OutboxEntry.content_hash == content_hash
            )
        )
        if entry is not None and entry.size is not None:
            size, width, height, media_type = entry.size, entry.width, entry.height, entry.media_type
        else:  # anchored elsewhere, or queued before uploads kept their facts
            size, width, height, media_type = self._blob_facts(content_hash)
        wallet = db.scalar(select(Wallet).where(Wallet.address == contributor))
        row = {
            "dataset_id": dataset.id,
            "content_hash": content_hash,
            "label": dataset.labels[label_index] if label_index < len(dataset.labels) else str(label_index),
            "label_index": label_index,
            "contributor_address": contributor,
            "contributor_user_id": wallet.user_id if wallet is not None else None,
            "status": ItemStatus.PENDING,
            "tx_hash": event.tx_hash,
            "block_number": event.block_number,
            "log_index": event.log_index,
            "size": size,
            "width": width,
            "height": height,
            "media_type": media_type,
        }
        # The relayer (maybe in another process) may write the same row from its receipt at this moment.
        db.execute(insert_new_items(db, [row]))
        if entry is not None and same_wallet(entry.contributor_address, contributor):
            entry.state = OutboxState.CONFIRMED
            entry.tx_hash = event.tx_hash
        elif entry is not None:  # someone else anchored the hash first: the upload was not anchored
            mark_taken(entry, contributor)
        db.flush()
        return (dataset.id, content_hash)

    def _set_status(self, db: Session, dataset: Dataset, event: ChainEvent, status: ItemStatus) -> None:
        content_hash = bytes(event.args["contentHash"]).hex()
        item = db.scalar(select(Item).where(Item.dataset_id == dataset.id, Item.content_hash == content_hash))
        if item is not None:
            item.status = status
        else:
            log.warning(
                "status event for an item the index does not have: %s in %s", content_hash, dataset.address
            )

    def _blob_facts(self, content_hash: str) -> tuple[int, int | None, int | None, str | None]:
        """Size and image header from the stored blob; an item anchored elsewhere may have none."""
        try:
            data = self._blobs.get(content_hash)
        except BlobError:
            return 0, None, None, None
        try:
            with Image.open(io.BytesIO(data)) as image:
                media = Image.MIME.get(image.format or "", None)
                return len(data), image.width, image.height, media
        except Exception:  # the bytes were validated at upload; this is a blob placed by hand
            return len(data), None, None, None


def insert_new_items(db: Session, rows: list[dict[str, object]]) -> Executable:
    """One multi-row INSERT that skips rows whose (dataset, content hash) someone else wrote first:
    the relayer from its receipt and the indexer from the chain's events write the same facts."""
    dialect = db.get_bind().dialect.name
    keys = ["dataset_id", "content_hash"]
    if dialect == "postgresql":
        return postgresql.insert(Item).values(rows).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        return sqlite.insert(Item).values(rows).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")

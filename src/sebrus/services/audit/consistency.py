"""The audit: prove that the database, the chain and the blob store tell the same story about a dataset.

The paper promises that the platform's database "can always be compared to the blockchain copy of
the database to ensure nothing has been interfered with". This module is that comparison. The chain
is the reference: its side is rebuilt from the dataset's own events (submitted, quarantined,
resolved), and where an event replay and the database disagree the contract's current record is
read with ``getItem`` before anything is reported, so a status change mined after the replay's
last block is not mistaken for tampering.

The indexer writes items and moves its cursor in one transaction, so the database is compared with
the chain only up to that cursor; chain records past it are counted as not yet indexed, not as
missing. Stuck or failed outbox entries are reported beside the findings: they are work the
platform still owes, not a disagreement between the copies.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobError, BlobStore
from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.chain.ledger import Ledger
from sebrus.chain.types import ChainEvent
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import ChainCursor, Dataset, Item, OutboxEntry, OutboxState
from sebrus.services import audit_log
from sebrus.services.audit.history import AUDIT_ACTION
from sebrus.services.audit.orphans import MAX_LISTED, orphan_blobs
from sebrus.services.audit.read_integrity import ReadMismatch, count_read_mismatches, read_mismatches
from sebrus.services.ingest.indexer import CURSOR_NAME

ITEM_EVENTS = ("ItemSubmitted", "ItemQuarantined", "ItemResolved")
STUCK_AFTER = timedelta(minutes=5)
_HASH_CHUNK = 1 << 20


class FindingKind(enum.StrEnum):
    DATASET_NOT_ON_CHAIN = "dataset_not_on_chain"
    DATASET_LABELS = "dataset_labels"
    EVENTS_MISSING = "events_missing"
    DB_ONLY = "db_only"
    CHAIN_ONLY = "chain_only"
    LABEL = "label_mismatch"
    STATUS = "status_mismatch"
    CONTRIBUTOR = "contributor_mismatch"
    TRANSACTION = "transaction_mismatch"
    BLOB_MISSING = "blob_missing"
    BLOB_CORRUPT = "blob_corrupt"


@dataclass(frozen=True)
class Finding:
    """One disagreement. ``expected`` is what the chain (or the key) says, ``found`` what the copy holds."""

    kind: FindingKind
    content_hash: str | None
    expected: Any
    found: Any
    detail: str


@dataclass(frozen=True)
class OutboxNote:
    """An upload the platform acknowledged but has not finished anchoring, or gave up on."""

    content_hash: str
    state: str
    attempts: int
    age_seconds: int
    error: str | None


@dataclass
class AuditReport:
    dataset_id: int
    dataset_address: str
    checked_at: datetime
    from_block: int
    indexed_to_block: int
    head_block: int
    findings: list[Finding] = field(default_factory=list)
    outbox: list[OutboxNote] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Store-wide, not this dataset's: blobs no row references (a crash's leftovers), first MAX_LISTED.
    orphan_blobs: list[str] = field(default_factory=list)
    # Reads the image endpoint refused because the bytes no longer matched their hash (newest first):
    # evidence from the audit log, kept after the blob is repaired.
    read_mismatches: list[ReadMismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def findings_by_kind(self) -> dict[str, int]:
        by_kind: dict[str, int] = {}
        for finding in self.findings:
            by_kind[finding.kind.value] = by_kind.get(finding.kind.value, 0) + 1
        return by_kind

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "dataset_address": self.dataset_address,
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "from_block": self.from_block,
            "indexed_to_block": self.indexed_to_block,
            "head_block": self.head_block,
            "counts": {**self.counts, "findings": len(self.findings)},
            "findings_by_kind": self.findings_by_kind(),
            "findings": [{**asdict(f), "kind": f.kind.value} for f in self.findings],
            "outbox": [asdict(n) for n in self.outbox],
            "orphan_blobs": list(self.orphan_blobs),
            "read_mismatches": [
                {"content_hash": m.content_hash, "found": m.found, "at": m.at.isoformat()}
                for m in self.read_mismatches
            ],
        }


@dataclass
class _ChainRecord:
    """An item as the chain's events describe it."""

    contributor: str
    label_index: int
    status: ChainStatus
    tx_hash: str | None


def audit_dataset(
    db: Session,
    ledger: Ledger,
    blobs: BlobStore,
    dataset: Dataset,
    *,
    stuck_after: timedelta = STUCK_AFTER,
    now: datetime | None = None,
    actor_user_id: int | None = None,
    record: bool = True,
) -> AuditReport:
    """Compare one dataset's database rows, chain records and blobs, reporting every mismatch.

    A recorded run, clean or not, leaves an entry in the append-only audit log (committed here), so
    that the history shows when the copies were last proven to agree and who asked. Anonymous runs
    are not recorded (``record=False``): a GET anyone may send must not grow the database.
    """
    report = _audit(db, ledger, blobs, dataset, stuck_after, now or datetime.now(UTC))
    orphans = orphan_blobs(db, blobs)
    report.orphan_blobs = orphans[:MAX_LISTED]
    report.counts["orphan_blobs"] = len(orphans)
    report.read_mismatches = read_mismatches(db, dataset.id)
    report.counts["read_mismatches"] = count_read_mismatches(db, dataset.id)
    if not record:
        db.rollback()  # end the read transaction; nothing was written
        return report
    audit_log.record(
        db,
        AUDIT_ACTION,
        f"dataset:{dataset.id}",
        actor_user_id=actor_user_id,
        details={
            "ok": report.ok,
            "findings": len(report.findings),
            "by_kind": report.findings_by_kind(),
            "indexed_to_block": report.indexed_to_block,
            "orphan_blobs": len(orphans),
        },
    )
    db.commit()
    return report


def audit_item(ledger: Ledger, blobs: BlobStore, dataset: Dataset, item: Item) -> list[Finding]:
    """The dataset audit's checks for one indexed item, cheap enough for its page: one ``getItem`` call
    and one re-hash of its blob. The anchoring transaction is compared only by the dataset audit, which
    replays the events; a status the indexer has not applied yet shows here as a status mismatch."""
    record = ledger.get_item(dataset.address, item.content_hash)
    findings: list[Finding] = []
    if record is None:
        findings.append(
            Finding(
                FindingKind.DB_ONLY,
                item.content_hash,
                None,
                _item_view(item),
                "The database lists this item but the dataset's contract has no record of it.",
            )
        )
    else:
        chain_view = _ChainRecord(record.contributor, record.label, record.status, None)
        findings.extend(_differences(item, chain_view, list(dataset.labels)))
    blob = _check_blob(blobs, item.content_hash)
    if blob is not None:
        findings.append(blob)
    return findings


def _audit(
    db: Session, ledger: Ledger, blobs: BlobStore, dataset: Dataset, stuck_after: timedelta, now: datetime
) -> AuditReport:
    start = dataset.created_block if dataset.created_block is not None else ledger.deployment.block_number
    try:
        info = ledger.dataset(dataset.address)  # its item count before the head: no event can be missed
    except LedgerInvalidInput as exc:
        report = AuditReport(dataset.id, dataset.address, now, start, start - 1, ledger.block_number())
        report.findings.append(
            Finding(FindingKind.DATASET_NOT_ON_CHAIN, None, dataset.address, None, str(exc))
        )
        return report
    report = AuditReport(dataset.id, dataset.address, now, start, start - 1, ledger.block_number())
    chain_labels = list(info.labels)
    if list(dataset.labels) != chain_labels:
        report.findings.append(
            Finding(
                FindingKind.DATASET_LABELS,
                None,
                chain_labels,
                list(dataset.labels),
                "The database's label set differs from the contract's.",
            )
        )

    # The cursor first, then the rows: rows indexed after this read lie past the cursor and are skipped.
    cursor = db.get(ChainCursor, CURSOR_NAME)
    indexed_to = cursor.block_number - 1 if cursor is not None else start - 1
    head = report.head_block
    events = ledger.events(start, head, names=ITEM_EVENTS) if head >= start else []
    events = [e for e in events if e.address == info.address]
    indexed = _replay(e for e in events if e.block_number <= indexed_to)
    latest = _replay(events)
    report.indexed_to_block = indexed_to
    submitted = sum(1 for e in events if e.name == "ItemSubmitted")
    if submitted < info.item_count:
        report.findings.append(
            Finding(
                FindingKind.EVENTS_MISSING,
                None,
                info.item_count,
                submitted,
                f"The contract counts {info.item_count} items but blocks {start}..{head} hold only "
                f"{submitted} ItemSubmitted events: the dataset's created_block is later than its items.",
            )
        )

    items = {i.content_hash: i for i in db.scalars(select(Item).where(Item.dataset_id == dataset.id))}
    on_chain: set[str] = set(latest)
    for content_hash, item in items.items():
        # The row may lag the latest events or be ahead of the cursor read: either view is honest.
        seen = [r for r in (indexed.get(content_hash), latest.get(content_hash)) if r is not None]
        if any(not _differences(item, r, chain_labels) for r in seen):
            continue
        current = ledger.get_item(info.address, content_hash)
        if current is None:
            report.findings.append(
                Finding(
                    FindingKind.DB_ONLY,
                    content_hash,
                    None,
                    _item_view(item),
                    "The database has this item; the contract has no record of it.",
                )
            )
            continue
        on_chain.add(content_hash)
        tx = seen[-1].tx_hash if seen else None
        record = _ChainRecord(current.contributor, current.label, current.status, tx)
        report.findings.extend(_differences(item, record, chain_labels))
    for content_hash, record in indexed.items():
        if content_hash not in items:
            report.findings.append(
                Finding(
                    FindingKind.CHAIN_ONLY,
                    content_hash,
                    _record_view(record, chain_labels),
                    None,
                    "The contract records this item; the database has no row for it.",
                )
            )

    blobs_checked = 0
    for content_hash in sorted(on_chain):
        blobs_checked += 1
        finding = _check_blob(blobs, content_hash)
        if finding is not None:
            report.findings.append(finding)

    report.outbox = _outbox_notes(db, dataset, now, stuck_after)
    states = _outbox_states(db, dataset)
    report.counts = {
        "db_items": len(items),
        "chain_items": len(latest),
        "chain_items_not_yet_indexed": sum(1 for h in latest if h not in indexed and h not in items),
        "chain_item_count": info.item_count,
        "events_scanned": len(events),
        "blobs_checked": blobs_checked,
        **{f"outbox_{state.value}": states.get(state, 0) for state in OutboxState},
    }
    return report


def _replay(events: Any) -> dict[str, _ChainRecord]:
    records: dict[str, _ChainRecord] = {}
    ordered: list[ChainEvent] = sorted(events, key=lambda e: e.position)
    for event in ordered:
        content_hash = bytes(event.args["contentHash"]).hex()
        if event.name == "ItemSubmitted":
            records[content_hash] = _ChainRecord(
                str(event.args["contributor"]), int(event.args["label"]), ChainStatus.PENDING, event.tx_hash
            )
        elif content_hash in records:
            if event.name == "ItemQuarantined":
                records[content_hash].status = ChainStatus.QUARANTINED
            else:
                records[content_hash].status = ChainStatus(int(event.args["status"]))
    return records


def _differences(item: Item, record: _ChainRecord, labels: list[str]) -> list[Finding]:
    found: list[Finding] = []
    h = item.content_hash
    expected_label = labels[record.label_index] if record.label_index < len(labels) else None
    if item.label_index != record.label_index or item.label != expected_label:
        found.append(
            Finding(
                FindingKind.LABEL,
                h,
                {"label": expected_label, "label_index": record.label_index},
                {"label": item.label, "label_index": item.label_index},
                "The database's label differs from the chain's.",
            )
        )
    if item.status.value != record.status.label:
        found.append(
            Finding(
                FindingKind.STATUS,
                h,
                record.status.label,
                item.status.value,
                "The database's status differs from the chain's.",
            )
        )
    if item.contributor_address.lower() != record.contributor.lower():
        found.append(
            Finding(
                FindingKind.CONTRIBUTOR,
                h,
                record.contributor,
                item.contributor_address,
                "The database names a different contributor than the chain.",
            )
        )
    if record.tx_hash is not None and (item.tx_hash or "").lower() != record.tx_hash.lower():
        found.append(
            Finding(
                FindingKind.TRANSACTION,
                h,
                record.tx_hash,
                item.tx_hash,
                "The database names a different anchoring transaction than the chain's event.",
            )
        )
    return found


def _check_blob(blobs: BlobStore, content_hash: str) -> Finding | None:
    digest = hashlib.sha256()
    try:
        with blobs.open(content_hash) as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except BlobError:
        return Finding(
            FindingKind.BLOB_MISSING,
            content_hash,
            content_hash,
            None,
            "The chain records this item but the blob store has no bytes for it.",
        )
    if digest.hexdigest() != content_hash:
        return Finding(
            FindingKind.BLOB_CORRUPT,
            content_hash,
            content_hash,
            digest.hexdigest(),
            "The stored bytes no longer hash to their key.",
        )
    return None


def _outbox_notes(db: Session, dataset: Dataset, now: datetime, stuck_after: timedelta) -> list[OutboxNote]:
    notes: list[OutboxNote] = []
    open_entries = db.scalars(
        select(OutboxEntry)
        .where(
            OutboxEntry.dataset_id == dataset.id,
            OutboxEntry.state.in_(
                [OutboxState.PENDING, OutboxState.SENT, OutboxState.FAILED, OutboxState.TAKEN]
            ),
        )
        .order_by(OutboxEntry.id)
    )
    for entry in open_entries:
        age = now - _aware(entry.created_at)
        # Failed and taken (anchored first by another wallet) entries are always worth a note.
        if entry.state in (OutboxState.FAILED, OutboxState.TAKEN) or age >= stuck_after:
            notes.append(
                OutboxNote(
                    entry.content_hash,
                    entry.state.value,
                    entry.attempts,
                    int(age.total_seconds()),
                    entry.error,
                )
            )
    return notes


def _outbox_states(db: Session, dataset: Dataset) -> dict[OutboxState, int]:
    rows = db.execute(
        select(OutboxEntry.state, func.count())
        .where(OutboxEntry.dataset_id == dataset.id)
        .group_by(OutboxEntry.state)
    )
    return {state: int(count) for state, count in rows}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _item_view(item: Item) -> dict[str, Any]:
    return {
        "label": item.label,
        "status": item.status.value,
        "contributor": item.contributor_address,
        "tx_hash": item.tx_hash,
    }


def _record_view(record: _ChainRecord, labels: list[str]) -> dict[str, Any]:
    label = labels[record.label_index] if record.label_index < len(labels) else None
    return {
        "label": label,
        "status": record.status.label,
        "contributor": record.contributor,
        "tx_hash": record.tx_hash,
    }

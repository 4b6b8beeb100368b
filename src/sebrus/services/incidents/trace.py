"""An item's whole history, for incident response: where it came from and everything that happened to it.

Status changes are read from the chain's events (the source of truth; the database keeps only the
current status), everything else from the platform's tables: the upload's outbox entry, the
contributor's wallet and account, votes, scan results with their reasons, releases the item is in or
was removed from, and revocations that held it. The events are read from the block that anchored
the item onwards, so a trace costs one log query over that range.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.ledger import Ledger
from sebrus.chain.types import ChainEvent
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import (
    Dataset,
    Item,
    OutboxEntry,
    Release,
    ReleaseItem,
    ReleaseRemoval,
    ReviewVote,
    Revocation,
    RevocationItem,
    Scan,
    ScanResult,
    User,
    Wallet,
)
from sebrus.services.errors import InvalidInput, NotFound

ITEM_EVENTS = ("ItemSubmitted", "ItemQuarantined", "ItemResolved", "ItemRequarantined", "ItemCleared")
CONTRIBUTOR_EVENTS = ("ContributorRevoked", "ContributorReinstated")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def trace_item(db: Session, ledger: Ledger | None, dataset: Dataset, sha256: str) -> dict[str, Any]:
    """The item's history as one JSON document; ``ledger=None`` leaves out the chain's events."""
    digest = sha256.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput("An item is named by its sha256: 64 hex digits.", field="sha256")
    item = db.scalar(select(Item).where(Item.dataset_id == dataset.id, Item.content_hash == digest))
    outbox = db.scalar(
        select(OutboxEntry).where(OutboxEntry.dataset_id == dataset.id, OutboxEntry.content_hash == digest)
    )
    if item is None and outbox is None:
        raise NotFound(f"Dataset {dataset.id} has no item {digest}.")
    contributor = item.contributor_address if item is not None else outbox.contributor_address  # type: ignore[union-attr]
    return {
        "dataset": {
            "id": dataset.id,
            "name": dataset.name,
            "address": dataset.address,
            "chain_id": dataset.chain_id,
        },
        "sha256": digest,
        "item": _item_json(item),
        "contributor": _contributor_json(db, contributor),
        "upload": _outbox_json(outbox),
        "chain_events": _chain_events(ledger, dataset, digest, contributor, item)
        if ledger is not None
        else None,
        "votes": _votes(db, dataset, digest),
        "scans": _scans(db, dataset, digest),
        "releases": _releases(db, dataset, digest),
        "revocations": _revocations(db, dataset, digest, contributor),
    }


def _item_json(item: Item | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "label": item.label,
        "status": item.status.value,
        "tx_hash": item.tx_hash,
        "block_number": item.block_number,
        "log_index": item.log_index,
        "size": item.size,
        "width": item.width,
        "height": item.height,
        "media_type": item.media_type,
        "indexed_at": _iso(item.created_at),
    }


def _contributor_json(db: Session, address: str) -> dict[str, Any]:
    wallet = db.scalar(select(Wallet).where(Wallet.address == address))
    user = db.get(User, wallet.user_id) if wallet is not None else None
    return {
        "wallet": address,
        "wallet_kind": wallet.kind.value if wallet is not None else None,
        "user_id": user.id if user is not None else None,
        "username": user.username if user is not None else None,
    }


def _outbox_json(entry: OutboxEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None  # anchored elsewhere (not through this server's upload path)
    return {
        "accepted_at": _iso(entry.created_at),
        "state": entry.state.value,
        "attempts": entry.attempts,
        "tx_hash": entry.tx_hash,
        "error": entry.error,
        "relayed": entry.signature is not None,
    }


def _chain_events(
    ledger: Ledger, dataset: Dataset, digest: str, contributor: str, item: Item | None
) -> list[dict[str, Any]]:
    start = (
        item.block_number
        if item is not None and item.block_number is not None
        else dataset.created_block or 0
    )
    found: list[ChainEvent] = []
    for event in ledger.events(start, names=(*ITEM_EVENTS, *CONTRIBUTOR_EVENTS)):
        args = event.args
        if event.name in CONTRIBUTOR_EVENTS:
            if args.get("dataset") == dataset.address and args.get("contributor") == contributor:
                found.append(event)
            continue
        if bytes(args.get("contentHash", b"")).hex() != digest:
            continue
        if event.address == dataset.address or args.get("dataset") == dataset.address:
            found.append(event)
    return [_event_json(e) for e in found]


def _event_json(event: ChainEvent) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in event.args.items():
        if key in ("contentHash", "dataset"):
            continue
        if key == "status":
            details[key] = ChainStatus(int(value)).label
        elif isinstance(value, bytes):
            details[key] = value.hex()
        else:
            details[key] = value
    return {
        "event": event.name,
        "contract": event.address,
        "block_number": event.block_number,
        "log_index": event.log_index,
        "tx_hash": event.tx_hash,
        "details": details,
    }


def _votes(db: Session, dataset: Dataset, digest: str) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(ReviewVote)
        .where(ReviewVote.dataset_id == dataset.id, ReviewVote.content_hash == digest)
        .order_by(ReviewVote.block_number, ReviewVote.log_index)
    )
    return [
        {
            "round": v.round,
            "voter": v.voter_address,
            "side": v.side,
            "stake_wei": v.stake_wei,
            "round_state": v.round_state,
            "cast_at": _iso(v.cast_at),
            "tx_hash": v.tx_hash,
            "block_number": v.block_number,
        }
        for v in rows
    ]


def _scans(db: Session, dataset: Dataset, digest: str) -> list[dict[str, Any]]:
    rows = db.execute(
        select(ScanResult, Scan)
        .join(Scan, Scan.id == ScanResult.scan_id)
        .where(Scan.dataset_id == dataset.id, ScanResult.content_hash == digest)
        .order_by(Scan.id)
    )
    return [
        {
            "scan": scan.id,
            "finished_at": _iso(scan.finished_at),
            "report_sha256": scan.report_sha256,
            "suspicion": result.suspicion,
            "flagged": result.flagged,
            "reasons": result.reasons,
            "quarantine": result.quarantine.value if result.quarantine is not None else None,
            "quarantine_tx": result.quarantine_tx,
            "quarantine_error": result.quarantine_error,
        }
        for result, scan in rows
    ]


def _releases(db: Session, dataset: Dataset, digest: str) -> list[dict[str, Any]]:
    inside = db.execute(
        select(Release, ReleaseItem)
        .join(ReleaseItem, ReleaseItem.release_id == Release.id)
        .where(Release.dataset_id == dataset.id, ReleaseItem.content_hash == digest)
    )
    removed = db.execute(
        select(Release, ReleaseRemoval)
        .join(ReleaseRemoval, ReleaseRemoval.release_id == Release.id)
        .where(Release.dataset_id == dataset.id, ReleaseRemoval.content_hash == digest)
    )
    entries = [
        {"version": r.version, "change": "included", "label": ri.label, "merkle_root": r.merkle_root}
        for r, ri in inside
    ] + [
        {"version": r.version, "change": "removed", "label": rr.label, "reason": rr.reason}
        for r, rr in removed
    ]
    return sorted(entries, key=lambda e: (e["version"], e["change"]))


def _revocations(db: Session, dataset: Dataset, digest: str, contributor: str) -> list[dict[str, Any]]:
    rows = {
        r.revocation_id: r
        for r in db.scalars(
            select(RevocationItem)
            .join(Revocation, Revocation.id == RevocationItem.revocation_id)
            .where(Revocation.dataset_id == dataset.id, RevocationItem.content_hash == digest)
        )
    }
    revocations = db.scalars(
        select(Revocation)
        .where(Revocation.dataset_id == dataset.id, Revocation.contributor_address == contributor)
        .order_by(Revocation.id)
    )
    out = []
    for revocation in revocations:
        row = rows.get(revocation.id)
        out.append(
            {
                "revocation": revocation.id,
                "state": revocation.state.value,
                "reason": revocation.reason,
                "revoked_at": _iso(revocation.created_at),
                "tx_hash": revocation.tx_hash,
                "action": row.action if row is not None else "held (uploaded after the revocation)",
                "cleared": bool(row.cleared) if row is not None else False,
                "cleared_tx": row.cleared_tx if row is not None else None,
                "lifted_at": _iso(revocation.lifted_at),
            }
        )
    return out

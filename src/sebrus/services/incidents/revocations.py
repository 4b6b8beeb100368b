"""Revoking a contributor: hold every item of theirs, quarantine what is still open, rescan, clear later.

The Dataset contract never moves an item backwards (review relies on that), so a revocation is recorded
in the ``Revocations`` registry beside it (``contracts/Revocations.sol``): ``ContributorRevoked``, then
one ``ItemRequarantined`` per item of theirs. Items still Pending are also quarantined on the dataset by
the detector account, so that review treats them as flagged. From then on the platform treats every
item of a revoked contributor as quarantined: ``holds.held_back`` leaves it out of the next release
(with the reason in the release's removal notes) until the owner clears it after a new look, or lifts the
revocation. The owner's request also starts a full rescan in which the revoked contributor's items are
a pre-specified suspect group (``ScanInputs.suspect_contributors``): the hold is evidence.

``clear(..., hashes=None)`` releases only held items the rescan looked at and found unremarkable. It
keeps held, with the reason, every item that the rescan flagged, that scored above 95% of the other
contributors' items in that rescan (the owner already suspects this contributor, so the bar is the
honest items' spread, not the scan's own threshold), or that the rescan never scored (uploaded after it,
or in a label too small to scan); and it keeps ALL of them held when the rescan scores the contributor's
items as a group above everyone else's (one-sided Mann-Whitney U, p < ``GROUP_ALPHA``): a flip that
stays under every per-item threshold still shifts the group. The owner can release any held item by
naming it. Until the rescan has finished with results, the default refuses (409) rather than guessing.

Chain first, database second, like releases: a retried revocation finds the contributor already revoked
on chain and records it rather than failing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.chain.revocations import MAX_BATCH, RevocationLedger
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import (
    Dataset,
    Item,
    ItemStatus,
    Revocation,
    RevocationItem,
    RevocationState,
    ScanScope,
    User,
    WalletKind,
)
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from sebrus.services.incidents.holds import ITEM_QUANTILE, held_back, rescan_verdict
from sebrus.services.review.chain_link import ChainLink, ChainUnavailable
from sebrus.services.scans import start as scan_start
from sebrus.services.scans.jobs import ScanJobs

log = logging.getLogger(__name__)

MAX_REASON = 1000


@dataclass(frozen=True)
class ClearOutcome:
    cleared: list[str]
    kept: dict[str, str]  # sha256 -> why it stays held (default clear only)
    note: str = ""  # what the rescan said about the contributor as a group

    def summary(self) -> str:
        text = f"Cleared {len(self.cleared)} item(s)"
        if self.kept:
            reasons: dict[str, int] = {}
            for why in self.kept.values():
                reasons[why] = reasons.get(why, 0) + 1
            shown = "; ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
            text += f"; {len(self.kept)} stay held ({shown}). Name an item to release it anyway"
        return text + "."


@dataclass(frozen=True)
class RevokeOutcome:
    revocation: Revocation
    quarantined: int  # items moved Pending -> Quarantined on the dataset
    held: int  # every item put on hold (quarantined ones included)


def reason_hash(reason: str) -> str:
    return hashlib.sha256(reason.encode("utf-8")).hexdigest()


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"Say why, in 1 to {MAX_REASON} characters.", field="reason")
    return reason


def _owner_signer(link: ChainLink, user: User) -> LocalAccount:
    wallet = next((w for w in user.wallets if w.kind is WalletKind.CUSTODIAL), None)
    if wallet is None:
        raise PermissionDenied("Revoking needs your custodial wallet, which holds the dataset's admin role.")
    return link.signer_for(wallet)


def active_revocation(db: Session, dataset: Dataset, contributor: str) -> Revocation | None:
    return db.scalar(
        select(Revocation).where(
            Revocation.dataset_id == dataset.id,
            Revocation.contributor_address == contributor,
            Revocation.state == RevocationState.ACTIVE,
        )
    )


def _refused(exc: ContractReverted, what: str) -> ServiceError:
    if exc.error == "NotDatasetAdmin":
        return PermissionDenied("Your wallet does not hold this dataset's admin role on chain.")
    return ChainUnavailable(f"The chain refused to {what}: {exc}")


# ---------------------------------------------------------------------------------------------- revoke


def revoke(
    db: Session,
    *,
    link: ChainLink,
    registry: RevocationLedger,
    jobs: ScanJobs | None,
    dataset: Dataset,
    user: User,
    contributor: str,
    reason: str,
) -> RevokeOutcome:
    """Revoke ``contributor`` (a wallet address) on ``dataset``: hold, quarantine and rescan their items."""
    require_owner(db, dataset, user, "revoke contributors of")
    address = normalize_address(contributor, field="contributor")
    reason = _checked_reason(reason)
    if active_revocation(db, dataset, address) is not None:
        raise Conflict(f"{address} is already revoked on this dataset.")
    digest = reason_hash(reason)
    items = list(
        db.scalars(
            select(Item)
            .where(Item.dataset_id == dataset.id, Item.contributor_address == address)
            .order_by(Item.id)
        )
    )
    signer = _owner_signer(link, user)
    try:
        registry.ensure_deployed(link.operators.deployer)
        if registry.revoked_at(dataset.address, address) == 0:
            result = registry.revoke(signer, dataset.address, address, digest)
            tx_hash, block = result.tx_hash, result.block_number
        else:  # a retry after a crash between chain and database: adopt what the chain already says
            tx_hash, block = "", link.ledger.block_number()
        requarantine_tx: dict[str, str] = {}
        for start in range(0, len(items), MAX_BATCH):
            batch = [i.content_hash for i in items[start : start + MAX_BATCH]]
            sent = registry.requarantine(signer, dataset.address, address, batch, digest)
            requarantine_tx.update({h: sent.tx_hash for h in batch})
        quarantine_tx = _quarantine_pending(link, dataset, items, digest)
    except ContractReverted as exc:
        raise _refused(exc, "revoke the contributor") from exc
    except LedgerInvalidInput as exc:
        raise InvalidInput(str(exc), field="contributor") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not revoke the contributor on chain: {exc}") from exc

    revocation = Revocation(
        dataset_id=dataset.id,
        contributor_address=address,
        state=RevocationState.ACTIVE,
        reason=reason,
        reason_hash=digest,
        revoked_by_user_id=user.id,
        tx_hash=tx_hash,
        block_number=block,
        registry_address=registry.address,
    )
    db.add(revocation)
    db.flush()
    for item in items:
        db.add(
            RevocationItem(
                revocation_id=revocation.id,
                item_id=item.id,
                content_hash=item.content_hash,
                status_at_revocation=item.status.value,
                action="quarantined" if item.content_hash in quarantine_tx else "held",
                requarantine_tx=requarantine_tx.get(item.content_hash),
                quarantine_tx=quarantine_tx.get(item.content_hash),
                cleared=False,
            )
        )
    audit_log.record(
        db,
        "contributor.revoke",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "contributor": address,
            "reason_hash": digest,
            "tx_hash": tx_hash,
            "items": len(items),
            "quarantined": len(quarantine_tx),
        },
    )
    db.commit()
    _start_rescan(db, jobs, dataset, user, revocation)
    return RevokeOutcome(revocation, quarantined=len(quarantine_tx), held=len(items))


def _quarantine_pending(
    link: ChainLink, dataset: Dataset, items: Sequence[Item], digest: str
) -> dict[str, str]:
    """Quarantine on the dataset every item that is still Pending on chain; returns hash -> tx."""
    sent: dict[str, str] = {}
    detector = link.operators.detector
    for item in items:
        on_chain = link.ledger.get_item(dataset.address, item.content_hash)
        if on_chain is None or on_chain.status is not ChainStatus.PENDING:
            continue
        try:
            result = link.ledger.quarantine(detector, dataset.address, item.content_hash, digest)
        except ContractReverted as exc:
            if exc.error == "InvalidStatusTransition":  # resolved in between: the hold covers it
                continue
            raise
        sent[item.content_hash] = result.tx_hash
    return sent


def _start_rescan(
    db: Session, jobs: ScanJobs | None, dataset: Dataset, user: User, revocation: Revocation
) -> None:
    """Rescan the whole dataset so the owner sees which of the held items the detectors flag."""
    if jobs is None:
        revocation.rescan_error = "no scan runner on this server"
        db.commit()
        return
    try:
        scan = scan_start.start_scan(db, dataset, user, scope=ScanScope.ALL, backend=jobs.backend)
        jobs.submit(db, scan)
    except ServiceError as exc:  # a scan is already running, or the queue is down: say so, keep the hold
        db.rollback()
        revocation = db.get(Revocation, revocation.id) or revocation
        revocation.rescan_error = exc.message
        db.commit()
        return
    revocation.rescan_id = scan.id
    db.commit()


def clear(
    db: Session,
    *,
    link: ChainLink,
    registry: RevocationLedger,
    dataset: Dataset,
    user: User,
    contributor: str,
    hashes: Sequence[str] | None,
    note: str,
) -> ClearOutcome:
    """Release held items of a revoked contributor: the ones named, or (``hashes=None``) those the rescan
    looked at and found unremarkable (see the module docstring for what stays held).

    Rejected items are never cleared (review decided against them).
    """
    require_owner(db, dataset, user, "clear items of")
    address = normalize_address(contributor, field="contributor")
    note = _checked_reason(note)
    revocation = active_revocation(db, dataset, address)
    if revocation is None:
        raise NotFound(f"{address} is not revoked on this dataset.")
    held = held_back(db, dataset)
    items = {
        i.content_hash: i
        for i in db.scalars(
            select(Item).where(Item.dataset_id == dataset.id, Item.contributor_address == address)
        )
    }
    kept: dict[str, str] = {}
    group_note = ""
    if hashes is None:
        verdict = rescan_verdict(db, revocation)
        if verdict is None:
            raise Conflict(
                "The rescan started by this revocation has not finished with results; nothing was "
                "cleared. Wait for it, or name the items to clear."
            )
        if verdict.group_p is not None:
            verb = "scores" if verdict.group_suspicious else "does not score"
            group_note = (
                f"the rescan {verb} this contributor's items above everyone else's (p={verdict.group_p:.2g})"
            )
        chosen = []
        for h, i in items.items():
            if h not in held or i.status is ItemStatus.REJECTED:
                continue
            if h in verdict.flagged:
                kept[h] = "flagged by the rescan"
            elif h not in verdict.scored:
                kept[h] = "not scored by the rescan"
            elif h in verdict.suspicious:
                kept[h] = f"scored above {ITEM_QUANTILE:.0%} of other contributors' items"
            elif verdict.group_suspicious:
                kept[h] = "the rescan scores this contributor's items as a group above everyone else's"
            else:
                chosen.append(h)
    else:
        chosen = []
        for value in hashes:
            digest = value.strip().lower()
            if digest not in items:
                raise NotFound(f"No item {digest[:80]} of {address} in this dataset.")
            if digest not in held:
                raise Conflict(f"Item {digest} is not held.")
            if items[digest].status is ItemStatus.REJECTED:
                raise Conflict(f"Item {digest} was rejected by review; it stays out.")
            chosen.append(digest)
        chosen = list(dict.fromkeys(chosen))
    if not chosen:
        return ClearOutcome([], kept, group_note)
    signer = _owner_signer(link, user)
    digest_note = reason_hash(note)
    txs: dict[str, str] = {}
    try:
        for start in range(0, len(chosen), MAX_BATCH):
            batch = chosen[start : start + MAX_BATCH]
            result = registry.clear(signer, dataset.address, batch, digest_note)
            txs.update({h: result.tx_hash for h in batch})
    except ContractReverted as exc:
        raise _refused(exc, "clear the items") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not clear the items on chain: {exc}") from exc
    rows = {
        r.content_hash: r
        for r in db.scalars(select(RevocationItem).where(RevocationItem.revocation_id == revocation.id))
    }
    now = datetime.now(UTC)
    for content_hash in chosen:
        row = rows.get(content_hash)
        if row is None:  # uploaded after the revocation: held by contributor, never requarantined
            item = items[content_hash]
            row = RevocationItem(
                revocation_id=revocation.id,
                item_id=item.id,
                content_hash=content_hash,
                status_at_revocation=item.status.value,
                action="held",
            )
            db.add(row)
        row.cleared, row.cleared_tx, row.cleared_at = True, txs[content_hash], now
    audit_log.record(
        db,
        "contributor.clear",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "contributor": address,
            "items": chosen,
            "note_hash": digest_note,
            "by_rescan": hashes is None,
            "kept_held": len(kept),
            "group": group_note,
        },
    )
    db.commit()
    return ClearOutcome(chosen, kept, group_note)


def reinstate(
    db: Session,
    *,
    link: ChainLink,
    registry: RevocationLedger,
    dataset: Dataset,
    user: User,
    contributor: str,
    reason: str,
) -> Revocation:
    """Lift a revocation: the contributor's items are no longer held (review outcomes still apply)."""
    require_owner(db, dataset, user, "reinstate contributors of")
    address = normalize_address(contributor, field="contributor")
    reason = _checked_reason(reason)
    revocation = active_revocation(db, dataset, address)
    if revocation is None:
        raise NotFound(f"{address} is not revoked on this dataset.")
    try:
        result = registry.reinstate(_owner_signer(link, user), dataset.address, address, reason_hash(reason))
    except ContractReverted as exc:
        raise _refused(exc, "reinstate the contributor") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not reinstate the contributor on chain: {exc}") from exc
    revocation.state = RevocationState.LIFTED
    revocation.lifted_at = datetime.now(UTC)
    revocation.lift_tx_hash = result.tx_hash
    audit_log.record(
        db,
        "contributor.reinstate",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"contributor": address, "reason_hash": reason_hash(reason), "tx_hash": result.tx_hash},
    )
    db.commit()
    return revocation


def list_revocations(db: Session, dataset: Dataset) -> list[Revocation]:
    return list(
        db.scalars(select(Revocation).where(Revocation.dataset_id == dataset.id).order_by(Revocation.id))
    )


def revocation_items(db: Session, revocation: Revocation) -> list[RevocationItem]:
    return list(
        db.scalars(
            select(RevocationItem)
            .where(RevocationItem.revocation_id == revocation.id)
            .order_by(RevocationItem.id)
        )
    )

"""Anchor queued contributions on chain, many per transaction.

Uploads only queue a signed contribution in the outbox. The relayer takes the oldest pending
entries of one dataset (up to a full batch), sends them with ``submitBatchFor`` and hands over to
the indexer. Under load, uploads accumulate while a batch is being mined, so batches grow by
themselves and ingest is not bounded by one transaction per image.

Crash safety: each attempt is counted and committed BEFORE its transaction is sent, and an entry is
marked sent only after the transaction was mined. If the process dies in between, the entry is
still pending on restart with an attempt on record, so the relayer first asks the chain whether it
already holds it rather than resending: nothing is anchored twice and nothing is lost. "Sent" never
overwrites "confirmed": the indexer may record the event before the relayer records the send.

When the batch's receipt arrives the relayer writes the item rows itself, from the facts the outbox
kept at upload time and the receipt's own ``ItemSubmitted`` events (``INSERT ... ON CONFLICT DO
NOTHING``), in the transaction that confirms the entries. The indexer, reading the same events later,
finds the rows there and only reconciles; nobody decodes the image again.

Front-running (issue 15 item 10): anyone who sees a pending batch can ``submit`` one of its hashes
first, under their own label. Datasets since that fix skip such an entry (``ItemSkipped``, naming the
holder) and anchor the rest; older ones revert the whole batch with ``DuplicateItem``. Either way an
entry whose hash is on chain is settled by comparing the record's contributor with the entry's
signer: the same wallet means our earlier attempt anchored it ("sent"); another wallet means the hash
was taken ("taken", with the holder in ``error``), never "sent".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.ledger import MAX_BATCH, SIGNATURE_TTL_SECONDS
from sebrus.chain.types import SignedSubmission, TxResult
from sebrus.db.models import Dataset, ItemStatus, OutboxEntry, OutboxState, Wallet, WalletKind
from sebrus.faults import maybe_crash
from sebrus.jobs.signals import INDEXED
from sebrus.services.ingest.indexer import Indexer, indexed_key, insert_new_items
from sebrus.services.ingest.outbox import mark_taken, same_wallet
from sebrus.services.review.chain_link import ChainLink

log = logging.getLogger(__name__)

RESIGN_MARGIN_SECONDS = 120
MAX_ATTEMPTS = 20


class Relayer:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        link: ChainLink,
        indexer: Indexer,
        *,
        batch_size: int = MAX_BATCH,
    ) -> None:
        self._sessions = session_factory
        self._link = link
        self._indexer = indexer
        self._batch_size = min(batch_size, MAX_BATCH)
        self._wallet_users: dict[str, int] = {}  # a wallet's owner never changes
        self._announced: list[str] = []

    def step(self) -> int:
        """Send one batch (the oldest dataset with pending work); returns how many entries it settled."""
        with self._sessions() as db:
            oldest = db.scalar(
                select(OutboxEntry)
                .where(OutboxEntry.state == OutboxState.PENDING)
                .order_by(OutboxEntry.id)
                .limit(1)
            )
            if oldest is None:
                return 0
            dataset = db.get(Dataset, oldest.dataset_id)
            assert dataset is not None
            entries = list(
                db.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.state == OutboxState.PENDING, OutboxEntry.dataset_id == dataset.id)
                    .order_by(OutboxEntry.id)
                    .limit(self._batch_size)
                )
            )
            settled = self._send(db, dataset, entries)
            db.commit()
        if self._announced:
            self._indexer.signals.wake(INDEXED, self._announced)
            self._announced = []
        self._indexer.sync()
        return settled

    def _send(self, db: Session, dataset: Dataset, entries: list[OutboxEntry]) -> int:
        ledger = self._link.ledger
        ready: list[tuple[OutboxEntry, SignedSubmission]] = []
        anchored: list[int] = []
        for entry in entries:
            on_chain = ledger.get_item(dataset.address, entry.content_hash) if entry.attempts > 0 else None
            if on_chain is not None:  # anchored by an earlier attempt that died before recording it...
                if same_wallet(on_chain.contributor, entry.contributor_address):
                    anchored.append(entry.id)
                else:  # ...or by someone else, who got there first
                    mark_taken(entry, on_chain.contributor)
                continue
            if entry.attempts >= MAX_ATTEMPTS:
                self._fail(entry, f"gave up after {entry.attempts} attempts: {entry.error}")
                continue
            signed = self._signed(db, dataset, entry)
            if signed is not None:
                ready.append((entry, signed))
        self._mark_sent(db, anchored, None)
        if not ready:
            return len(entries)
        # Record the attempt before sending: if we die after the chain accepts the batch, the restart
        # sees attempts > 0 and looks the entries up instead of sending them again.
        for entry, _ in ready:
            entry.attempts += 1
        db.commit()
        try:
            result = ledger.submit_batch_for(
                self._link.operators.relayer, dataset.address, [s for _, s in ready]
            )
        except ContractReverted as refused:
            self._handle_refusal(db, dataset, ready, refused)
            return len(entries)
        except LedgerError as exc:
            for entry, _ in ready:
                entry.error = str(exc)[:2000]
            db.commit()
            raise
        maybe_crash("after-chain-send")
        taken = self._skipped(ready, result)
        sent = [entry.id for entry, _ in ready if entry.id not in taken]
        self._mark_sent(db, sent, result.tx_hash)
        self._record_items(db, dataset, [entry for entry, _ in ready if entry.id not in taken], result)
        return len(entries)

    def _record_items(self, db: Session, dataset: Dataset, sent: list[OutboxEntry], result: TxResult) -> None:
        """Write the anchored entries' item rows from the receipt, and confirm them (see module docs)."""
        by_hash = {entry.content_hash: entry for entry in sent}
        rows: list[dict[str, object]] = []
        for event in result.events:
            if event.name != "ItemSubmitted" or event.address != dataset.address:
                continue
            entry = by_hash.get(bytes(event.args["contentHash"]).hex())
            if entry is None or not same_wallet(str(event.args["contributor"]), entry.contributor_address):
                continue  # not ours as we sent it: the indexer records whatever it is
            label_index = int(event.args["label"])
            rows.append(
                {
                    "dataset_id": dataset.id,
                    "content_hash": entry.content_hash,
                    "label": dataset.labels[label_index],
                    "label_index": label_index,
                    "contributor_address": entry.contributor_address,
                    "contributor_user_id": self._user_of(db, entry.contributor_address),
                    "status": ItemStatus.PENDING,
                    "tx_hash": event.tx_hash,
                    "block_number": event.block_number,
                    "log_index": event.log_index,
                    "size": entry.size or 0,
                    "width": entry.width,
                    "height": entry.height,
                    "media_type": entry.media_type,
                }
            )
        if not rows:
            return
        db.execute(insert_new_items(db, rows))
        confirmed = [str(row["content_hash"]) for row in rows]
        db.execute(
            update(OutboxEntry)
            .where(OutboxEntry.dataset_id == dataset.id, OutboxEntry.content_hash.in_(confirmed))
            .values(state=OutboxState.CONFIRMED, tx_hash=result.tx_hash)
            .execution_options(synchronize_session=False)
        )
        keys = [indexed_key(dataset.id, content_hash) for content_hash in confirmed]
        self._indexer.signals.announce(db, INDEXED, keys)  # heard by other processes at commit
        self._announced.extend(keys)

    def _user_of(self, db: Session, address: str) -> int | None:
        user_id = self._wallet_users.get(address)
        if user_id is None:
            user_id = db.scalar(select(Wallet.user_id).where(Wallet.address == address))
            if user_id is not None:
                self._wallet_users[address] = user_id
        return user_id

    @staticmethod
    def _skipped(ready: list[tuple[OutboxEntry, SignedSubmission]], result: TxResult) -> set[int]:
        """Settle the entries the batch skipped (``ItemSkipped``): a hash held by its own signer was
        anchored by an earlier attempt (left to be marked sent); one held by another wallet is taken.
        Returns the ids of the taken entries."""
        by_hash = {entry.content_hash: entry for entry, _ in ready}
        taken: set[int] = set()
        for event in result.events:
            if event.name != "ItemSkipped":
                continue
            entry = by_hash.get(bytes(event.args["contentHash"]).hex())
            holder = str(event.args["holder"])
            if entry is not None and not same_wallet(holder, entry.contributor_address):
                mark_taken(entry, holder)
                taken.add(entry.id)
        return taken

    @staticmethod
    def _mark_sent(db: Session, entry_ids: list[int], tx_hash: str | None) -> None:
        """Pending -> sent, and only from pending: the indexer may already have confirmed the entry
        from its chain event (it runs on its own thread), and that must not be overwritten."""
        if not entry_ids:
            return
        values: dict[str, object] = {"state": OutboxState.SENT}
        if tx_hash is not None:
            values["tx_hash"] = tx_hash
        db.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(entry_ids), OutboxEntry.state == OutboxState.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def _signed(self, db: Session, dataset: Dataset, entry: OutboxEntry) -> SignedSubmission | None:
        """The stored signature, or a fresh one when it is about to expire and the key is custodial."""
        deadline = entry.deadline or 0
        signature = bytes.fromhex((entry.signature or "0x")[2:])
        if deadline < time.time() + RESIGN_MARGIN_SECONDS or len(signature) != 65:
            wallet = db.scalar(select(Wallet).where(Wallet.address == entry.contributor_address))
            if wallet is None or wallet.kind is not WalletKind.CUSTODIAL:
                self._fail(
                    entry, "the contributor's signature expired and only their own wallet can sign again"
                )
                return None
            fresh = self._link.ledger.sign_contribution(
                self._link.signer_for(wallet),
                dataset.address,
                bytes.fromhex(entry.content_hash),
                entry.label_index,
                deadline=int(time.time()) + SIGNATURE_TTL_SECONDS,
            )
            entry.signature, entry.deadline = "0x" + fresh.signature.hex(), fresh.deadline
            return fresh
        return SignedSubmission(
            bytes.fromhex(entry.content_hash),
            entry.label_index,
            entry.contributor_address,
            deadline,
            signature,
        )

    def _handle_refusal(
        self,
        db: Session,
        dataset: Dataset,
        ready: list[tuple[OutboxEntry, SignedSubmission]],
        refused: ContractReverted,
    ) -> None:
        """One bad entry reverts the whole batch: settle the culprit, leave the rest for the next step."""
        for entry, _ in ready:
            entry.error = str(refused)[:2000]
        culprit_hash = refused.arguments.get("contentHash")
        if refused.error == "DuplicateItem" and isinstance(culprit_hash, bytes):
            # A dataset from before batches skipped anchored hashes: whose record is it?
            on_chain = self._link.ledger.get_item(dataset.address, culprit_hash)
            for entry, _ in ready:
                if entry.content_hash != culprit_hash.hex() or on_chain is None:
                    continue
                if same_wallet(on_chain.contributor, entry.contributor_address):
                    self._mark_sent(db, [entry.id], None)  # already on chain; the indexer will record it
                else:
                    mark_taken(entry, on_chain.contributor)
        elif refused.error == "SignatureExpired":
            for entry, _ in ready:
                if entry.deadline == refused.arguments.get("deadline"):
                    entry.deadline = 0  # re-sign on the next step
        elif refused.error == "InvalidSignature":
            for entry, _ in ready:
                if entry.contributor_address == refused.arguments.get("contributor"):
                    entry.deadline = 0
                    if entry.attempts >= 3:
                        self._fail(entry, f"the chain keeps refusing this contributor's signature: {refused}")
        log.warning("relayed batch refused: %s", refused)

    @staticmethod
    def _fail(entry: OutboxEntry, reason: str) -> None:
        entry.state = OutboxState.FAILED
        entry.error = reason[:2000]

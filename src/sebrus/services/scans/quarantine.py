"""Send the quarantines that finished scans asked for, from the one process that owns the ledger.

A scan (in this process or on an RQ worker) only marks flagged Pending items ``pending`` in its
results; this loop turns each into ``Dataset.quarantine(contentHash, reportHash)`` signed by the
detector operator, one item at a time, chain first and database second. Before sending it reads the
item's status on chain, so an item that left Pending meanwhile (quarantined by an earlier scan, or
by this one before a crash, or resolved by review) is skipped rather than sent twice: rescans are
idempotent on chain. The indexer then picks up ``ItemQuarantined`` and updates the item's row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import Dataset, QuarantineState, Scan, ScanResult
from sebrus.services import audit_log
from sebrus.services.review.chain_link import ChainLink

log = logging.getLogger(__name__)

BATCH = 64


class QuarantineSender:
    def __init__(
        self,
        sessions: Callable[[], Session],
        link: ChainLink,
        *,
        after_send: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._link = link
        self._after_send = after_send

    def step(self) -> int:
        """Handle up to ``BATCH`` pending quarantines; returns how many were handled.

        A ledger that cannot be reached raises out of here: the background loop backs off and retries,
        and the rows stay pending. Only a contract's refusal marks a row failed.
        """
        handled = sent = 0
        with self._sessions() as db:
            rows = db.execute(
                select(ScanResult, Scan, Dataset)
                .join(Scan, Scan.id == ScanResult.scan_id)
                .join(Dataset, Dataset.id == Scan.dataset_id)
                .where(ScanResult.quarantine == QuarantineState.PENDING)
                .order_by(ScanResult.id)
                .limit(BATCH)
            )
            for result, scan, dataset in list(rows):
                sent += self._handle(db, result, scan, dataset)
                db.commit()
                handled += 1
        if sent and self._after_send is not None:
            self._after_send()
        return handled

    def _handle(self, db: Session, result: ScanResult, scan: Scan, dataset: Dataset) -> bool:
        ledger = self._link.ledger
        if scan.report_sha256 is None:  # cannot happen for a done scan; never send a flag without a report
            result.quarantine = QuarantineState.FAILED
            result.quarantine_error = "the scan has no report hash"
            return False
        on_chain = ledger.get_item(dataset.address, result.content_hash)
        if on_chain is None:
            result.quarantine = QuarantineState.FAILED
            result.quarantine_error = "the item is not on chain"
            return False
        if on_chain.status is not ChainStatus.PENDING:
            result.quarantine = QuarantineState.SKIPPED
            result.quarantine_error = f"already {on_chain.status.label} on chain"
            return False
        detector = self._link.operators.detector
        try:
            tx = ledger.quarantine(detector, dataset.address, result.content_hash, scan.report_sha256)
        except ContractReverted as refused:
            if refused.error == "InvalidStatusTransition":  # it left Pending between the read and the send
                result.quarantine = QuarantineState.SKIPPED
                result.quarantine_error = "no longer pending on chain"
            else:
                log.warning("quarantine of %s refused: %s", result.content_hash, refused)
                result.quarantine = QuarantineState.FAILED
                result.quarantine_error = str(refused)[:2000]
            return False
        result.quarantine = QuarantineState.SENT
        result.quarantine_tx = tx.tx_hash
        result.quarantine_error = None
        audit_log.record(
            db,
            "item.quarantine",
            f"dataset:{dataset.id}",
            details={
                "automated": True,
                "scan": scan.id,
                "content_hash": result.content_hash,
                "report_sha256": scan.report_sha256,
                "suspicion": round(result.suspicion, 4),
                "detectors": [r.get("detector") for r in result.reasons],
                "detector_address": detector.address,
                "tx_hash": tx.tx_hash,
            },
        )
        return True

"""Running a scan: claim its row, read the data, run the detectors, store results and reports.

A scan is a row that moves queued -> running -> done | failed. Whoever runs it (the server's own
background thread, or an RQ worker in another process) claims it by that row, so a job delivered twice
runs once. Running needs the database and the blob store only: flagged items still Pending are marked
for quarantine in the results, and the process that owns the ledger sends those transactions
(``services/scans/quarantine.py``). That split is what lets a worker run without the embedded chain,
which one process alone may open, and without the detector's key.

Every decision is in the append-only audit log: the owner's request, and the automated outcome.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sebrus.blobs.base import BlobStore
from sebrus.db.engine import SessionFactory
from sebrus.db.models import (
    Dataset,
    Item,
    ItemStatus,
    QuarantineState,
    Scan,
    ScanResult,
    ScanState,
)
from sebrus.jobs.rows import RowQueue
from sebrus.services import audit_log
from sebrus.services.errors import NotFound
from sebrus.services.scans import model as scan_model
from sebrus.services.scans.data import NotEnoughData, load_scan_inputs
from sebrus.services.scans.reports import build_report, store_reports
from sebrus.services.scans.start import DEFAULT_FDR

log = logging.getLogger(__name__)

MAX_ERROR = 2000
PROGRESS_EVERY_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
# A running scan whose heartbeat is older than this lost its runner (a killed worker or server). Long
# enough that a busy machine's late heartbeat is never mistaken for a death.
STALE_AFTER_SECONDS = 6 * HEARTBEAT_SECONDS

#: Scans as a row queue: oldest first; a claim records the start.
SCAN_QUEUE = RowQueue(
    Scan,
    Scan.state,
    queued=ScanState.QUEUED,
    running=ScanState.RUNNING,
    order=(Scan.id,),
    on_claim=lambda: {
        "started_at": datetime.now(UTC),
        "heartbeat_at": datetime.now(UTC),
        "message": "starting",
        "progress": 0.0,
    },
)


def fail_scan(db: Session, scan: Scan, error: str) -> None:
    """Mark a scan failed (with the audit entry); for runners that could not even start it."""
    scan.state = ScanState.FAILED
    scan.error = error[:MAX_ERROR]
    scan.message = "failed"
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.fail",
        f"dataset:{scan.dataset_id}",
        details={"scan": scan.id, "automated": True, "error": scan.error},
    )
    db.commit()


def fail_interrupted_scans(sessions: SessionFactory, *, stale_after: float = STALE_AFTER_SECONDS) -> int:
    """Fail the scans whose runner died: running, on a row-claimed runner, and silent for ``stale_after``.

    A scan another live process is running keeps its heartbeat fresh and is left alone, so a server or
    worker that starts never fails someone else's work. They are failed, not retried, so that a scan
    that brings its process down cannot do so forever.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=stale_after)
    with sessions() as db:
        stuck = [
            scan
            for scan in SCAN_QUEUE.running_rows(db)
            if scan.backend == "thread" and _last_sign_of_life(scan) < cutoff
        ]
        for scan in stuck:
            fail_scan(db, scan, "interrupted: the process running this scan stopped; start a new scan")
        return len(stuck)


def _last_sign_of_life(scan: Scan) -> datetime:
    moments = [moment for moment in (scan.heartbeat_at, scan.started_at) if moment is not None]
    return max(moments) if moments else datetime.min.replace(tzinfo=UTC)


class _Heartbeat:
    """Renews a running scan's ``heartbeat_at`` from a thread of its own while the scan works."""

    def __init__(self, sessions: SessionFactory, scan_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self._sessions = sessions
        self._scan_id = scan_id
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scan-{scan_id}-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with self._sessions() as db:
                    db.execute(
                        update(Scan)
                        .where(Scan.id == self._scan_id, Scan.state == ScanState.RUNNING)
                        .values(heartbeat_at=datetime.now(UTC))
                    )
                    db.commit()
            except Exception:  # a missed beat is tolerated; six in a row mean we are gone anyway
                log.warning("scan %s: heartbeat not written", self._scan_id, exc_info=True)


# ---------------------------------------------------------------------------------------------- run


def claim_next(sessions: SessionFactory, backend: str = "thread") -> int | None:
    """Claim the oldest queued scan of ``backend``; None when there is none."""
    with sessions() as db:
        return SCAN_QUEUE.claim_next(db, Scan.backend == backend)


def run_scan(sessions: SessionFactory, blobs: BlobStore, scan_id: int, *, claimed: bool = False) -> ScanState:
    """Run one scan to done or failed; returns the final state. Safe to call for a scan already taken.

    ``claimed``: the caller already moved it to running (``claim_next``); otherwise it is claimed here.
    """
    if not claimed:
        with sessions() as db:
            if db.get(Scan, scan_id) is None:
                raise NotFound(f"Scan {scan_id} not found.")
            if not SCAN_QUEUE.claim(db, scan_id):
                current = db.get(Scan, scan_id)
                state = current.state if current is not None else ScanState.FAILED
                log.info("scan %s is %s already; not running it again", scan_id, state.value)
                return state
    with _Heartbeat(sessions, scan_id):
        return _run_claimed(sessions, blobs, scan_id)


def _run_claimed(sessions: SessionFactory, blobs: BlobStore, scan_id: int) -> ScanState:
    progress = _ProgressWriter(sessions, scan_id)
    try:
        with sessions() as db:
            scan, dataset = _scan_and_dataset(db, scan_id)
            try:
                inputs = load_scan_inputs(
                    db, blobs, dataset, scan, progress=lambda f: progress("reading images", 0.1 * f)
                )
            except NotEnoughData as short:
                return _finish_insufficient(db, scan, str(short))
            chain_id = dataset.chain_id
            model_sha256, n_classes = scan.model_sha256, len(dataset.labels)
        model = None
        if model_sha256 is not None:
            progress("loading the owner's model", 0.1, force=True)
            model = scan_model.load_for_scan(blobs, model_sha256, n_classes, inputs.images)
        result = _detect(inputs, scan, progress, model)
        progress("writing reports", 0.92, force=True)
        with sessions() as db:
            scan, dataset = _scan_and_dataset(db, scan_id)
            report = build_report(dataset, scan, inputs, result, chain_id)
            report_key, html_key = store_reports(blobs, report)
            _store_results(db, scan, inputs, result, report_key, html_key)
        return ScanState.DONE
    except Exception as exc:
        log.exception("scan %s failed", scan_id)
        with sessions() as db:
            failed = db.get(Scan, scan_id)
            if failed is not None:
                fail_scan(db, failed, f"{type(exc).__name__}: {exc}")
        return ScanState.FAILED


def _scan_and_dataset(db: Session, scan_id: int) -> tuple[Scan, Dataset]:
    scan = db.get(Scan, scan_id)
    if scan is None:
        raise NotFound(f"Scan {scan_id} not found.")
    dataset = db.get(Dataset, scan.dataset_id)
    if dataset is None:
        raise NotFound(f"The dataset of scan {scan_id} is gone.")
    return scan, dataset


def _detect(inputs: Any, scan: Scan, progress: _ProgressWriter, model: Any = None) -> Any:
    """Run the detectors; ``model`` is the owner's scan model (None: the reference CNN is trained)."""
    try:  # torch and friends load only when a scan runs
        from sebrus.detect.scan import scan as detect_scan
    except ImportError as missing:
        raise RuntimeError(
            f"Scans need the detectors, which are not installed here ({missing.name}): "
            "pip install 'sebrus[detect]'."
        ) from missing

    return detect_scan(
        inputs.images,
        inputs.labels,
        contributors=inputs.contributors,
        trusted_images=inputs.trusted_images,
        trusted_labels=inputs.trusted_labels,
        model=model,
        fdr=scan.fdr if scan.fdr is not None else DEFAULT_FDR,
        fpr=scan.fpr,
        seed=scan.random_seed,
        suspect_contributors=inputs.suspect_contributors,
        progress=lambda stage, frac: progress(stage, 0.1 + 0.8 * frac),
    )


def _finish_insufficient(db: Session, scan: Scan, message: str) -> ScanState:
    scan.state = ScanState.DONE
    scan.insufficient_data = True
    scan.progress = 1.0
    scan.message = message[:256]
    scan.error = message
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.finish",
        f"dataset:{scan.dataset_id}",
        details={"scan": scan.id, "automated": True, "insufficient_data": True, "message": message},
    )
    db.commit()
    return ScanState.DONE


def _store_results(db: Session, scan: Scan, inputs: Any, result: Any, report_key: str, html_key: str) -> None:
    statuses = {
        i.id: i.status for i in db.scalars(select(Item).where(Item.id.in_([i.id for i in inputs.items])))
    }
    n_flagged = 0
    to_quarantine = 0
    for k in np.flatnonzero(inputs.in_scope):
        item = inputs.items[k]
        flagged = bool(result.flagged[k])
        quarantine: QuarantineState | None = None
        if flagged:
            n_flagged += 1
            # Only Pending items can be quarantined; anything else was decided already (by a scan or review).
            quarantine = (
                QuarantineState.PENDING
                if statuses.get(item.id) is ItemStatus.PENDING
                else QuarantineState.SKIPPED
            )
            to_quarantine += quarantine is QuarantineState.PENDING
        db.add(
            ScanResult(
                scan_id=scan.id,
                item_id=item.id,
                content_hash=item.content_hash,
                suspicion=float(result.suspicion[k]),
                flagged=flagged,
                reasons=result.reasons[k] if flagged else [],
                quarantine=quarantine,
                quarantine_error=None
                if quarantine is not QuarantineState.SKIPPED
                else f"item was {statuses.get(item.id, ItemStatus.PENDING).value}, not pending",
            )
        )
    scan.state = ScanState.DONE
    scan.progress = 1.0
    scan.message = f"done: {n_flagged} flagged, {to_quarantine} to quarantine"
    scan.threshold = float(result.threshold) if np.isfinite(result.threshold) else None
    scan.expected_false_positives = result.summary.get("expected_false_positives")
    scan.expected_precision = result.summary.get("expected_precision")
    scan.trusted_message = result.summary.get("trusted", {}).get("message")
    scan.n_items = int(inputs.in_scope.sum())
    scan.n_context = len(inputs.items)
    scan.n_trusted = len(inputs.trusted_hashes)
    scan.n_flagged = n_flagged
    scan.report_sha256 = report_key
    scan.report_html_sha256 = html_key
    scan.finished_at = datetime.now(UTC)
    audit_log.record(
        db,
        "scan.finish",
        f"dataset:{scan.dataset_id}",
        details={
            "scan": scan.id,
            "automated": True,
            "report_sha256": report_key,
            "n_items": scan.n_items,
            "n_flagged": n_flagged,
            "to_quarantine": to_quarantine,
            "threshold": scan.threshold,
        },
    )
    db.commit()


class _ProgressWriter:
    """Writes progress to the scan row in its own short transaction, at most every half second."""

    def __init__(self, sessions: SessionFactory, scan_id: int) -> None:
        self._sessions = sessions
        self._scan_id = scan_id
        self._last = 0.0

    def __call__(self, message: str, fraction: float, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        with self._sessions() as db:
            db.execute(
                update(Scan)
                .where(Scan.id == self._scan_id, Scan.state == ScanState.RUNNING)
                .values(progress=round(min(max(fraction, 0.0), 1.0), 3), message=message[:256])
            )
            db.commit()

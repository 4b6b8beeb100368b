"""Where scans run: a background thread of the server or of ``sebrus worker`` processes, claiming scan rows,
or RQ workers (``sebrus worker --scans-only``) when Redis is configured.

Either way the work is :func:`sebrus.services.scans.runner.run_scan`, which needs the database and the blob
store and never the chain. Quarantine transactions are always sent by the server, the one process that
owns the ledger (the embedded chain's LevelDB lets one process open it; an rpc chain would allow
more, but then every worker would hold the detector's key while it decodes untrusted images). So a
worker stores results, and the server's :class:`QuarantineSender` loop sends what they flagged: within
a second for in-process scans (it is woken), within ``QUARANTINE_POLL_SECONDS`` for worker scans.

Deployment with RQ workers: every worker needs the same ``SEBRUS_DATABASE_URL`` and the same blob
store (``SEBRUS_BLOB_URL``, or the blob directory under ``SEBRUS_DATA_DIR``) as the server, and
``SEBRUS_REDIS_URL``; ``sebrus worker --scans-only`` starts one. With several ``sebrus worker``
processes on an rpc chain, the quarantine sender runs in whichever holds its lease (docs/deploy.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs import BlobStore, open_blob_store
from sebrus.config import Settings
from sebrus.db import make_engine, make_session_factory
from sebrus.db.models import Scan, ScanState
from sebrus.jobs.coordination import Lease
from sebrus.jobs.loop import BackgroundLoop
from sebrus.jobs.queue import RedisJobQueue
from sebrus.services.errors import ServiceError
from sebrus.services.review.chain_link import ChainLink
from sebrus.services.scans import runner as scan_runner
from sebrus.services.scans.quarantine import QuarantineSender

log = logging.getLogger(__name__)

QUARANTINE_POLL_SECONDS = 2.0
SWEEP_SECONDS = 30.0
JOB_FUNCTION = "sebrus.services.scans.jobs.run_queued_scan"


class QueueUnavailable(ServiceError):
    """The scan could not be handed to the Redis queue; it is marked failed."""


class ScanJobs:
    """The server's side of scans: hand new scans to a runner, and send the quarantines they ask for."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        blobs: BlobStore,
        link: ChainLink,
        *,
        redis_url: str | None = None,
        queue_name: str = "sebrus-scans",
        after_quarantine: Callable[[], None] | None = None,
        sender_lease: Lease | None = None,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self.queue = RedisJobQueue(redis_url, queue_name) if redis_url else None
        self.backend = "rq" if self.queue is not None else "thread"
        self.sender = QuarantineSender(sessions, link, after_send=after_quarantine)
        self.sender_loop = BackgroundLoop(
            "quarantine", self.sender.step, idle_seconds=QUARANTINE_POLL_SECONDS, lease=sender_lease
        )
        # Any number of processes run scans side by side: each claims its own rows.
        self.runner_loop = BackgroundLoop("scanner", self.run_next, idle_seconds=5.0)
        self._next_sweep = 0.0

    def start(self, *, run_scans: bool = True, send_quarantines: bool = True) -> None:
        if self.queue is None and run_scans:
            self.runner_loop.start()  # also picks up scans queued before the stop
        if send_quarantines:
            self.sender_loop.start()

    def stop(self) -> None:
        # A scan cannot be cut short; one still running stops beating and is failed by the next runner.
        self.runner_loop.stop(timeout=30.0)
        self.sender_loop.stop()
        if self.queue is not None:
            self.queue.close()

    def _sweep_dead_runners(self) -> None:
        """Fail the scans of runners that died, at most every ``SWEEP_SECONDS``."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        interrupted = scan_runner.fail_interrupted_scans(self._sessions)
        if interrupted:
            log.warning("%d scans lost their runner and are marked failed", interrupted)

    def submit(self, db: Session, scan: Scan) -> None:
        """Hand a committed, queued scan to its runner."""
        if self.queue is None:
            self.runner_loop.wake()
            return
        try:
            self.queue.enqueue(JOB_FUNCTION, scan.id)
        except Exception as exc:  # redis-py raises many kinds; all mean the same to the caller
            scan_runner.fail_scan(db, scan, f"could not queue the scan: {exc}")
            raise QueueUnavailable(f"The scan queue (Redis) is unavailable: {exc}") from exc

    def run_next(self) -> int:
        """One step of the in-process runner: run the oldest queued scan, if any."""
        self._sweep_dead_runners()
        scan_id = scan_runner.claim_next(self._sessions, backend="thread")
        if scan_id is None:
            return 0
        state = scan_runner.run_scan(self._sessions, self._blobs, scan_id, claimed=True)
        if state is ScanState.DONE:
            self.sender_loop.wake()
        return 1


# ------------------------------------------------------------------------------ the RQ worker's side


@dataclass
class WorkerContext:
    sessions: sessionmaker[Session]
    blobs: BlobStore


_contexts: dict[tuple[str, str, str], WorkerContext] = {}
_contexts_lock = threading.Lock()


def worker_context(settings: Settings | None = None) -> WorkerContext:
    """The database and blob store a worker process runs scans against, from its ``SEBRUS_*`` settings."""
    settings = settings or Settings()
    blobs_at = settings.blob_url or str(settings.blob_dir.resolve())
    key = (settings.resolved_database_url, blobs_at, settings.s3_endpoint_url or "")
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            blobs = open_blob_store(settings)
            engine = make_engine(settings.resolved_database_url)
            context = WorkerContext(make_session_factory(engine), blobs)
            _contexts[key] = context
        return context


def run_queued_scan(scan_id: int) -> str:
    """The RQ job: run scan ``scan_id`` here; the server sends the quarantines it asks for."""
    if not isinstance(scan_id, int) or isinstance(scan_id, bool):
        raise TypeError(f"a scan job takes the scan's integer id, got {scan_id!r}")
    context = worker_context()
    return scan_runner.run_scan(context.sessions, context.blobs, scan_id).value

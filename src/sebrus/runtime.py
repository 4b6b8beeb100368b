"""What a running server holds for its requests: the platform's state and, when a chain is attached, the
chain's services and background loops.

Below the faces: the REST API, the web pages and the composition root (``sebrus.platform``) import
these; this module imports services and adapters only. ``PlatformState`` lives on
``app.state.platform`` and ``ChainServices`` on ``app.state.chain``; the faces reach them through the
typed dependencies in ``sebrus.http.deps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs import BlobStore
from sebrus.chain.backends import ChainHandle
from sebrus.chain.revocations import RevocationLedger
from sebrus.chain.rpc_server import EmbeddedRpc
from sebrus.config import Settings
from sebrus.jobs.loop import BackgroundLoop
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.signup_limit import SignupPolicy
from sebrus.services.audit.cache import AuditCache
from sebrus.services.datasets import creation_limiter
from sebrus.services.hooks import PlatformHooks
from sebrus.services.incidents.monitoring import MonitorJobs
from sebrus.services.ingest.contributions import UploadRateLimiter
from sebrus.services.ingest.indexer import Indexer
from sebrus.services.ingest.relayer import Relayer
from sebrus.services.rate_window import SlidingWindowLimiter
from sebrus.services.review.chain_link import ChainLink
from sebrus.services.review.finalizer import ReviewFinalizer
from sebrus.services.scans.jobs import ScanJobs


@dataclass
class PlatformState:
    """Everything a request handler needs that lives as long as the app: one object on ``app.state``."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    passwords: Passwords
    hooks: PlatformHooks
    server_secret: str
    blobs: BlobStore
    throttle: ThrottlePolicy
    signup_limit: SignupPolicy
    audit_cache: AuditCache = field(default_factory=AuditCache)  # anonymous audits share recent runs
    # New datasets per user and hour (SEBRUS_DATASET_CREATIONS_PER_HOUR); 0 in the default: no limit.
    dataset_limiter: SlidingWindowLimiter = field(default_factory=lambda: creation_limiter(0))


@dataclass(frozen=True)
class RpcEndpoint:
    """What ``/rpc`` serves: the dispatcher over the embedded chain and the calls each client may make."""

    server: EmbeddedRpc
    limiter: SlidingWindowLimiter


@dataclass
class ChainServices:
    """What the contribution endpoints need beyond the platform base; lives on ``app.state.chain``."""

    handle: ChainHandle
    link: ChainLink
    indexer: Indexer
    relayer: Relayer
    relayer_loop: BackgroundLoop
    indexer_loop: BackgroundLoop
    limiter: UploadRateLimiter
    scans: ScanJobs | None = None  # poison scans: a runner, and the quarantine sender
    revocations: RevocationLedger | None = None  # contributor revocations (registry deployed on first use)
    monitor: MonitorJobs | None = None  # per-release model metrics and drop alerts
    # Calls Review.finalize for x = 0 items and closed commit-reveal rounds; None when switched off.
    finalizer: ReviewFinalizer | None = None
    finalizer_loop: BackgroundLoop | None = None
    # The embedded chain's JSON-RPC endpoint (/rpc) and its per-client limit; None on an rpc node,
    # which is its own endpoint.
    rpc: RpcEndpoint | None = None

    def start(self) -> None:
        self.indexer.sync()  # catch up with what happened while we were down
        self.relayer_loop.start()  # finishes any upload acknowledged before a crash
        self.indexer_loop.start()
        if self.finalizer_loop is not None:
            self.finalizer_loop.start()
        if self.scans is not None:
            self.scans.start()
        if self.monitor is not None:
            self.monitor.start()

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.scans is not None:
            self.scans.stop()
        if self.finalizer_loop is not None:
            self.finalizer_loop.stop()
        self.relayer_loop.stop()
        self.indexer_loop.stop()
        self.handle.close()

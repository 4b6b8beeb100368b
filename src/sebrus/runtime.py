"""What a running server holds for its requests: the platform's state and, when a chain is attached, the
chain's services and background loops.

Below the faces: the REST API, the web pages and the composition root (``sebrus.platform``) import
these; this module imports services and adapters only. ``PlatformState`` lives on
``app.state.platform`` and ``ChainServices`` on ``app.state.chain``; the faces reach them through the
typed dependencies in ``sebrus.http.deps``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs import BlobStore
from sebrus.chain.backends import ChainHandle
from sebrus.chain.federation import FederationLedger
from sebrus.chain.revocations import RevocationLedger
from sebrus.chain.rpc_server import EmbeddedRpc
from sebrus.config import Settings
from sebrus.jobs.coordination import Coordinator, LocalCoordinator
from sebrus.jobs.loop import BackgroundLoop
from sebrus.jobs.signals import Signals
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


#: What a process runs: ``all`` (one process, ``sebrus serve``), ``web`` (answers requests only) or
#: ``worker`` (the background loops and scans, ``sebrus worker``).
Role = Literal["all", "web", "worker"]


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
    federations: FederationLedger | None = None  # federated training's rounds and final models
    monitor: MonitorJobs | None = None  # per-release model metrics and drop alerts
    # Calls Review.finalize for x = 0 items and closed commit-reveal rounds; None when switched off.
    finalizer: ReviewFinalizer | None = None
    finalizer_loop: BackgroundLoop | None = None
    # The embedded chain's JSON-RPC endpoint (/rpc) and its per-client limit; None on an rpc node,
    # which is its own endpoint.
    rpc: RpcEndpoint | None = None
    role: Role = "all"
    coordinator: Coordinator = field(default_factory=LocalCoordinator)
    signals: Signals = field(default_factory=Signals)
    closers: list[Callable[[], object]] = field(default_factory=list)
    _started: bool = False

    @property
    def runs_loops(self) -> bool:
        return self.role != "web"

    def loops(self) -> list[BackgroundLoop]:
        """The loops this role runs; each with a lease takes turns with other processes' copies."""
        if not self.runs_loops:
            return []
        loops = [self.indexer_loop, self.relayer_loop]
        if self.finalizer_loop is not None:
            loops.append(self.finalizer_loop)
        if self.monitor is not None:
            loops.append(self.monitor.loop)
        return loops

    def start(self) -> None:
        """Start the role's loops; idempotent. The indexer's first step catches up with the chain."""
        if self._started:
            return
        self._started = True
        self.signals.start()  # every role hears other processes' "indexed" and "scan finished"
        if not self.runs_loops:
            return
        self.indexer.sync()  # catch up with what happened while we were down (under the indexer mutex)
        for loop in self.loops():
            loop.start()  # the relayer's first step finishes uploads acknowledged before a crash
        if self.scans is not None:
            self.scans.start()

    def stop(self) -> None:
        if self.scans is not None and self.runs_loops:
            self.scans.stop()
        for loop in reversed(self.loops()):
            loop.stop(timeout=60.0)
        self.signals.stop()
        self.coordinator.close()
        self.handle.close()
        while self.closers:
            self.closers.pop()()
        self._started = False

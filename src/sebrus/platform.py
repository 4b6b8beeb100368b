"""The composition root: one place that builds the whole platform from settings.

It opens the chain, deploys the contracts if needed, wires the ledger into the services (dataset
anchoring, custodial wallets, the contribution pipeline) and returns the FastAPI app together
with the background loops that ``sebrus serve`` starts and stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from sebrus.api.app import create_app
from sebrus.api.routers import (
    contribution_signing,
    dataset_audit,
    incidents,
    items,
    releases,
    review,
    review_wallet,
    scans,
)
from sebrus.chain.backends import ChainHandle, open_chain
from sebrus.chain.revocations import RevocationLedger
from sebrus.config import Settings
from sebrus.jobs.loop import BackgroundLoop
from sebrus.services.accounts.server_secret import load_server_secret
from sebrus.services.hooks import PlatformHooks
from sebrus.services.incidents.monitoring import MonitorJobs, MonitorSettings
from sebrus.services.ingest.contributions import UploadRateLimiter
from sebrus.services.ingest.indexer import Indexer
from sebrus.services.ingest.relayer import Relayer
from sebrus.services.review.chain_link import ChainLink
from sebrus.services.review.finalizer import ReviewFinalizer
from sebrus.services.review.index import ReviewIndex
from sebrus.services.scans.jobs import ScanJobs
from sebrus.web import install_web


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


def build_platform(settings: Settings) -> tuple[FastAPI, ChainServices]:
    handle = open_chain(settings)
    try:
        handle.init()
        link = ChainLink(
            handle.ledger, handle.operators, load_server_secret(settings), reviews=handle.reviews
        )
        hooks = PlatformHooks(dataset_anchor=link, wallet_funder=link, custodial_wallet_on_register=True)
        app = create_app(settings, hooks=hooks)
        app.include_router(items.router)
        app.include_router(contribution_signing.router)
        app.include_router(dataset_audit.router)
        app.include_router(releases.router)
        app.include_router(scans.router)
        app.include_router(review.router)
        app.include_router(review.mine_router)
        app.include_router(review_wallet.router)
        app.include_router(incidents.router)
        install_web(app)  # pages and /static; after the API routers
        platform = app.state.platform
        indexer = Indexer(
            platform.session_factory,
            handle.ledger,
            platform.blobs,
            confirmations=settings.confirmations,
            extensions=[ReviewIndex(handle.reviews)] if handle.reviews is not None else [],
        )
        relayer = Relayer(platform.session_factory, link, indexer)
        services = ChainServices(
            handle=handle,
            link=link,
            indexer=indexer,
            relayer=relayer,
            relayer_loop=BackgroundLoop("relayer", relayer.step, idle_seconds=1.0),
            indexer_loop=BackgroundLoop("indexer", indexer.sync, idle_seconds=1.0),
            limiter=UploadRateLimiter(settings.upload_rate_per_minute),
        )
        services.scans = ScanJobs(
            platform.session_factory,
            platform.blobs,
            link,
            redis_url=settings.redis_url,
            queue_name=settings.scan_queue,
            after_quarantine=services.indexer_loop.wake,
        )
        app.state.scans = services.scans
        if settings.review_finalizer and handle.reviews is not None:
            services.finalizer = ReviewFinalizer(
                platform.session_factory,
                handle.reviews,
                handle.operators.detector,  # pays gas only; see ReviewFinalizer for why this account
                after_finalize=services.indexer_loop.wake,
                no_vote_grace_seconds=settings.review_no_vote_grace_seconds,
            )
            services.finalizer_loop = BackgroundLoop(
                "review-finalizer", services.finalizer.step, idle_seconds=settings.review_finalizer_seconds
            )
        services.revocations = RevocationLedger(handle.ledger, settings.data_dir)
        services.monitor = MonitorJobs(
            platform.session_factory,
            platform.blobs,
            MonitorSettings(drop_threshold=settings.monitor_drop_threshold, epochs=settings.monitor_epochs),
        )
    except BaseException:
        handle.close()
        raise
    app.state.chain = services
    return app, services

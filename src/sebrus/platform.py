"""The composition root: one place that builds the whole platform from settings.

It opens the chain, deploys the contracts if needed, wires the ledger into the services (dataset
anchoring, custodial wallets, the contribution pipeline) and returns the FastAPI app together
with the background loops that ``sebrus serve`` starts and stops.
"""

from __future__ import annotations

from fastapi import FastAPI

from sebrus.api.app import create_app
from sebrus.blobs import open_blob_store
from sebrus.chain.backends import open_chain
from sebrus.chain.revocations import RevocationLedger
from sebrus.chain.rpc_server import EmbeddedRpc
from sebrus.config import Settings
from sebrus.jobs.loop import BackgroundLoop
from sebrus.runtime import ChainServices, RpcEndpoint
from sebrus.services.accounts.server_secret import load_server_secret
from sebrus.services.hooks import PlatformHooks
from sebrus.services.incidents.monitoring import MonitorJobs, MonitorSettings
from sebrus.services.ingest.contributions import UploadRateLimiter
from sebrus.services.ingest.indexer import Indexer
from sebrus.services.ingest.relayer import Relayer
from sebrus.services.rate_window import per_minute
from sebrus.services.review.chain_link import ChainLink
from sebrus.services.review.finalizer import ReviewFinalizer
from sebrus.services.review.index import ReviewIndex
from sebrus.services.scans.jobs import ScanJobs
from sebrus.web import install_web

__all__ = ["ChainServices", "build_platform"]  # ChainServices lives in sebrus.runtime; named here too


def build_platform(settings: Settings) -> tuple[FastAPI, ChainServices]:
    blobs = open_blob_store(settings)  # a bad SEBRUS_BLOB_URL fails before the chain is opened or deployed
    handle = open_chain(settings)
    try:
        handle.init()
        link = ChainLink(
            handle.ledger,
            handle.operators,
            load_server_secret(settings),
            reviews=handle.reviews,
            dataset_max_gas=settings.dataset_create_max_gas,
            no_vote_grace_s=settings.review_no_vote_grace_seconds,
        )
        hooks = PlatformHooks(dataset_anchor=link, wallet_funder=link, custodial_wallet_on_register=True)
        app = create_app(
            settings, hooks=hooks, blobs=blobs, with_chain=True, embedded_rpc=handle.embedded is not None
        )
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
        if handle.embedded is not None:  # on an rpc backend the node is the endpoint
            services.rpc = RpcEndpoint(
                EmbeddedRpc(handle.embedded, handle.ledger.transactor),
                per_minute(settings.rpc_rate_per_minute, "JSON-RPC calls"),
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

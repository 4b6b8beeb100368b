"""The composition root: one place that builds the whole platform from settings.

It opens the chain, deploys the contracts if needed, wires the ledger into the services (dataset
anchoring, custodial wallets, the contribution pipeline) and returns the FastAPI app together
with the background loops.

A process plays one of three roles (:class:`Role`): ``all`` (``sebrus serve``: the embedded default,
everything in one process), ``web`` (one of the stateless processes of ``sebrus serve --workers N``)
or ``worker`` (``sebrus worker``: the loops and the scans). Every process is built the same way; the
role decides only which loops :meth:`ChainServices.start` runs. Loops that must have one owner take
a lease from the coordinator (PostgreSQL advisory locks), so any number of workers may run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sebrus.api.app import create_app
from sebrus.blobs import open_blob_store
from sebrus.chain.backends import open_chain
from sebrus.chain.federation import FederationLedger
from sebrus.chain.revocations import RevocationLedger
from sebrus.chain.rpc_server import EmbeddedRpc
from sebrus.config import Settings
from sebrus.db import make_engine
from sebrus.jobs.coordination import LocalCoordinator, coordinator_for
from sebrus.jobs.loop import BackgroundLoop
from sebrus.jobs.signals import signals_for
from sebrus.runtime import ChainServices, Role, RpcEndpoint
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

__all__ = ["ChainServices", "Role", "build_platform", "web_app"]  # ChainServices lives in sebrus.runtime


def build_platform(
    settings: Settings, *, role: Role = "all", manage_loops: bool = False
) -> tuple[FastAPI, ChainServices]:
    """The app and its chain services. ``manage_loops``: the app's lifespan starts and stops the
    role's loops (servers); otherwise the caller does (tests, benchmarks, ``sebrus worker``)."""
    blobs = open_blob_store(settings)  # a bad SEBRUS_BLOB_URL fails before the chain is opened or deployed
    coordination_engine = make_engine(settings.resolved_database_url)
    coordinator = coordinator_for(coordination_engine)
    # Two processes starting at once deploy once: the second opens the chain after the first
    # recorded its deployment.
    with coordinator.mutex("chain-init"):
        handle = open_chain(settings)
        try:
            handle.init()
        except BaseException:
            handle.close()
            raise
    try:
        if not isinstance(coordinator, LocalCoordinator):
            # Several processes may send from one key (custodial votes, the operators): each send
            # holds that key's nonce across processes.
            handle.ledger.transactor.share_keys_across_processes(coordinator.mutex)
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
        signals = signals_for(coordination_engine)
        indexer = Indexer(
            platform.session_factory,
            handle.ledger,
            platform.blobs,
            confirmations=settings.confirmations,
            extensions=[ReviewIndex(handle.reviews)] if handle.reviews is not None else [],
            coordinator=coordinator,
            signals=signals,
        )
        relayer = Relayer(platform.session_factory, link, indexer)
        services = ChainServices(
            handle=handle,
            link=link,
            indexer=indexer,
            relayer=relayer,
            relayer_loop=BackgroundLoop(
                "relayer", relayer.step, idle_seconds=1.0, lease=coordinator.lease("relayer")
            ),
            indexer_loop=BackgroundLoop(
                "indexer", indexer.sync, idle_seconds=1.0, lease=coordinator.lease("indexer")
            ),
            limiter=UploadRateLimiter(settings.upload_rate_per_minute),
            role=role,
            coordinator=coordinator,
            signals=signals,
            closers=[coordination_engine.dispose],
        )
        services.scans = ScanJobs(
            platform.session_factory,
            platform.blobs,
            link,
            redis_url=settings.redis_url,
            queue_name=settings.scan_queue,
            after_quarantine=services.indexer_loop.wake,
            sender_lease=coordinator.lease("quarantine"),
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
                "review-finalizer",
                services.finalizer.step,
                idle_seconds=settings.review_finalizer_seconds,
                lease=coordinator.lease("review-finalizer"),
            )
        if handle.embedded is not None:  # on an rpc backend the node is the endpoint
            services.rpc = RpcEndpoint(
                EmbeddedRpc(handle.embedded, handle.ledger.transactor),
                per_minute(settings.rpc_rate_per_minute, "JSON-RPC calls"),
            )
        services.revocations = RevocationLedger(handle.ledger, settings.data_dir)
        services.federations = FederationLedger(handle.ledger)
        services.monitor = MonitorJobs(
            platform.session_factory,
            platform.blobs,
            MonitorSettings(drop_threshold=settings.monitor_drop_threshold, epochs=settings.monitor_epochs),
            lease=coordinator.lease("monitor"),
        )
    except BaseException:
        handle.close()
        coordinator.close()
        coordination_engine.dispose()
        raise
    app.state.chain = services
    if manage_loops:
        _run_loops_in_lifespan(app, services)
    return app, services


def _run_loops_in_lifespan(app: FastAPI, services: ChainServices) -> None:
    """Start the role's loops when the server starts serving, stop them (and close the chain) after."""
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            async with serve(inner):
                yield
        finally:
            services.stop()

    app.router.lifespan_context = lifespan


def web_app() -> FastAPI:
    """One stateless web process of ``sebrus serve --workers N`` (uvicorn's app factory)."""
    app, _services = build_platform(Settings(), role="web", manage_loops=True)
    return app

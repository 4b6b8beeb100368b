"""The FastAPI application factory.

Building the app migrates the database and loads the server secret, so a
misconfigured deployment fails at start rather than on its first request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import sebrus
from sebrus.api.docs import install_docs
from sebrus.api.openapi import install_openapi
from sebrus.api.routers import register_routers
from sebrus.api.security import SecurityHeaders
from sebrus.blobs import BlobStore, open_blob_store
from sebrus.config import Settings, get_settings
from sebrus.db import make_engine, make_session_factory, upgrade_database
from sebrus.http.body_limit import BodySizeLimit
from sebrus.http.errors import install_error_handlers
from sebrus.primitives import private_dir
from sebrus.runtime import PlatformState
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.server_secret import load_server_secret
from sebrus.services.accounts.signup_limit import SignupPolicy
from sebrus.services.audit.cache import AuditCache
from sebrus.services.datasets import creation_limiter
from sebrus.services.hooks import PlatformHooks
from sebrus.services.ingest.images import configure_decode_slots


def create_app(
    settings: Settings | None = None,
    *,
    hooks: PlatformHooks | None = None,
    blobs: BlobStore | None = None,
    with_chain: bool = False,
    embedded_rpc: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    private_dir(settings.data_dir)  # before anything is written into it
    server_secret = load_server_secret(settings)
    engine = make_engine(settings.resolved_database_url)
    upgrade_database(engine)
    configure_decode_slots(settings.decode_concurrency)
    state = PlatformState(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        passwords=Passwords.from_settings(settings),
        hooks=hooks or PlatformHooks(),
        server_secret=server_secret,
        blobs=blobs if blobs is not None else open_blob_store(settings),
        throttle=ThrottlePolicy(
            max_failures=settings.login_max_failures,
            backoff_seconds=settings.login_backoff_seconds,
            client_max_failures=settings.login_client_max_failures,
        ),
        signup_limit=SignupPolicy(per_hour=settings.signup_per_hour),
        audit_cache=AuditCache(settings.audit_cache_seconds),
        dataset_limiter=creation_limiter(settings.dataset_creations_per_hour),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="SeBRUS",
        version=sebrus.__version__,
        description=(
            "Crowdsourced image datasets anchored on Ethereum. Authenticate with the `session` cookie from "
            "`POST /api/session` (then send `X-CSRF-Token` on POST/PUT/DELETE) or with "
            "`Authorization: Bearer <token>` from `POST /api/auth/tokens`."
        ),
        lifespan=lifespan,
        docs_url=None,  # /docs is served from the app's own files: install_docs
        redoc_url=None,
    )
    app.state.platform = state
    install_error_handlers(app)
    # Plain ASGI middleware; the body cap is outermost, so no other layer reads a body it refuses.
    app.add_middleware(SecurityHeaders, hsts=settings.env == "production")
    app.add_middleware(BodySizeLimit)
    install_docs(app)
    install_openapi(app)
    register_routers(app, with_chain=with_chain, embedded_rpc=embedded_rpc)
    return app

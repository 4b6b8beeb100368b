"""``sebrus serve``: the whole platform in one process on embedded defaults, or N stateless web processes.

With ``--workers N`` (PostgreSQL and an rpc chain required) the processes answer requests only; the
background loops and scans run in ``sebrus worker`` processes, on this machine or others.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sebrus.cli.output import EXIT_USAGE, console, fail
from sebrus.config import Settings


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=256,
            help="Run this many stateless web processes (PostgreSQL and an rpc chain required); the "
            "background loops then run in `sebrus worker`. 0: one process that runs everything.",
        ),
    ] = 0,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Behind a reverse proxy: its address(es), comma-separated, whose X-Forwarded-For is "
            "believed. The login throttle and the sign-up limit count per client address, so without "
            "it every visitor shares the proxy's. Unset: FORWARDED_ALLOW_IPS, else 127.0.0.1 and ::1.",
        ),
    ] = None,
) -> None:
    """Run the API and pages on the configured chain (the embedded one by default), with the relayer,
    indexer and the other loops in the same process unless --workers is given."""
    import uvicorn

    from sebrus.blobs import BlobStoreUnavailable
    from sebrus.chain.embedded_store import ChainLocked
    from sebrus.chain.errors import LedgerError
    from sebrus.platform import build_platform

    settings = Settings()
    if workers:
        problem = multi_process_problem(settings)
        if problem is not None:
            fail(f"--workers needs {problem}", EXIT_USAGE)
        console.print(
            f"{workers} web processes on http://{host}:{port}; run `sebrus worker` (any number, any "
            "machine) for the relayer, indexer, finalizer, quarantines, monitor and scans"
        )
        uvicorn.run(
            "sebrus.platform:web_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
        )
        return
    try:
        app, services = build_platform(settings, manage_loops=True)
    except ChainLocked as exc:
        fail(f"{exc} (is another `sebrus serve` running on this data directory?)")
    except LedgerError as exc:
        fail(str(exc))
    except BlobStoreUnavailable as exc:
        fail(f"cannot open the blob store: {exc}")
    deployment = services.handle.ledger.deployment
    console.print(f"SeBRUS data directory: {settings.data_dir.resolve()}")
    console.print(
        f"chain: {services.handle.backend} (id {deployment.chain_id}), DatasetManager {deployment.manager}"
    )
    console.print(f"listening on http://{host}:{port}  (API docs at http://{host}:{port}/docs)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def multi_process_problem(settings: Settings) -> str | None:
    """Why these settings cannot run several processes, or None when they can."""
    url = settings.resolved_database_url
    if not url.startswith("postgresql"):
        return "SEBRUS_DATABASE_URL on PostgreSQL (SQLite and the embedded chain allow one process)"
    if not settings.chain_url:
        return "SEBRUS_CHAIN_URL (the embedded chain can be opened by one process only)"
    return None

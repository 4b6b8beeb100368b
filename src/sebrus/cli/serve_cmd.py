"""``sebrus serve``: the whole platform on one process, embedded defaults unless configured."""

from __future__ import annotations

from typing import Annotated

import typer

from sebrus.cli.output import console, fail
from sebrus.config import Settings


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Behind a reverse proxy: its address(es), comma-separated, whose X-Forwarded-For is "
            "believed. The login throttle and the sign-up limit count per client address, so without "
            "it every visitor shares the proxy's. Unset: FORWARDED_ALLOW_IPS, else 127.0.0.1 and ::1.",
        ),
    ] = None,
) -> None:
    """Run the API on the configured chain (the embedded one by default), with the relayer and indexer."""
    import uvicorn

    from sebrus.blobs import BlobStoreUnavailable
    from sebrus.chain.embedded_store import ChainLocked
    from sebrus.chain.errors import LedgerError
    from sebrus.platform import build_platform

    settings = Settings()
    try:
        app, services = build_platform(settings)
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
    services.start()
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
        )
    finally:
        services.stop()

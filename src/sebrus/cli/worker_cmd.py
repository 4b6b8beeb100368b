"""``sebrus worker``: run dataset scans from the Redis queue, in a process apart from the server.

The worker needs the database and the blob store only (the same ``SEBRUS_DATABASE_URL`` and
``SEBRUS_BLOB_URL`` or ``SEBRUS_DATA_DIR`` as the server) and never opens the chain: the server sends
the quarantines the worker's scans ask for. Run as many as the machine has cores to spare.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sebrus.cli.output import EXIT_USAGE, console, fail
from sebrus.config import Settings


def worker_command(
    burst: Annotated[bool, typer.Option("--burst", help="Exit once the queue is empty.")] = False,
    simple: Annotated[
        bool, typer.Option("--simple", help="Run jobs in this process instead of forking one per job.")
    ] = False,
) -> None:
    """Work the scan queue named by SEBRUS_SCAN_QUEUE on SEBRUS_REDIS_URL."""
    from redis.exceptions import RedisError

    from sebrus.blobs import BlobStoreUnavailable, open_blob_store
    from sebrus.jobs.queue import run_worker

    settings = Settings()
    if not settings.redis_url:
        fail("set SEBRUS_REDIS_URL (redis://host:6379/0) to run a scan worker", EXIT_USAGE)
    try:
        open_blob_store(settings)  # a bad SEBRUS_BLOB_URL stops the worker now, not at its first scan
    except BlobStoreUnavailable as exc:
        fail(f"cannot open the blob store: {exc}")
    console.print(
        f"scan worker on queue {settings.scan_queue!r}; data directory {settings.data_dir.resolve()}"
    )
    try:
        run_worker(settings.redis_url, settings.scan_queue, burst=burst, in_process=simple)
    except RedisError as exc:
        fail(f"cannot reach Redis at {settings.redis_url}: {exc}")

"""``sebrus worker``: the background loops and scans, in a process apart from the web tier.

A worker runs the relayer, the indexer, the review finalizer, the quarantine sender, the release
monitor and the scan runner. Loops that must have one owner take a lease (a PostgreSQL advisory lock),
so any number of workers may run: one owns each loop, the others stand by and take it over within
seconds when the owner dies. Scans are claimed row by row, so every worker runs them.

``--scans-only`` is the older, narrower worker: RQ jobs from Redis, scans only, no chain; it needs the
database and the blob store only (the same ``SEBRUS_DATABASE_URL`` and ``SEBRUS_BLOB_URL`` or
``SEBRUS_DATA_DIR`` as the server), and the quarantines its scans ask for are sent by whichever
process holds the quarantine lease.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from sebrus.cli.output import EXIT_USAGE, console, fail
from sebrus.config import Settings


def worker_command(
    scans_only: Annotated[
        bool,
        typer.Option("--scans-only", help="Run only scan jobs from the Redis queue (RQ), without the chain."),
    ] = False,
    burst: Annotated[
        bool, typer.Option("--burst", help="With --scans-only: exit once the queue is empty.")
    ] = False,
    simple: Annotated[
        bool,
        typer.Option("--simple", help="With --scans-only: run jobs in this process instead of forking."),
    ] = False,
) -> None:
    """Run the background loops and scans (PostgreSQL and an rpc chain), or RQ scan jobs (--scans-only)."""
    settings = Settings()
    if scans_only:
        _run_rq_worker(settings, burst=burst, simple=simple)
        return
    if burst or simple:
        fail("--burst and --simple apply to --scans-only", EXIT_USAGE)
    from sebrus.blobs import BlobStoreUnavailable
    from sebrus.chain.errors import LedgerError
    from sebrus.cli.serve_cmd import multi_process_problem
    from sebrus.platform import build_platform

    problem = multi_process_problem(settings)
    if problem is not None:
        fail(f"a worker needs {problem}; `sebrus serve` runs everything in one process", EXIT_USAGE)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        _app, services = build_platform(settings, role="worker")
    except LedgerError as exc:
        fail(str(exc))
    except BlobStoreUnavailable as exc:
        fail(f"cannot open the blob store: {exc}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    services.start()
    console.print(f"worker running: {', '.join(loop.name for loop in services.loops())} and scans")
    try:
        stop.wait()
    finally:
        console.print("worker stopping")
        services.stop()


def _run_rq_worker(settings: Settings, *, burst: bool, simple: bool) -> None:
    from redis.exceptions import RedisError

    from sebrus.blobs import BlobStoreUnavailable, open_blob_store
    from sebrus.jobs.queue import run_worker

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

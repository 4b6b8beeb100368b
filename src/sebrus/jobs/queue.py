"""A Redis-backed job queue (RQ), for running scans on worker processes separate from the server.

Why RQ, over Celery or Dramatiq: a scan is one coarse job (seconds to minutes of CPU) named by an id,
so we need a queue, workers and failure bookkeeping, and nothing else: no routing, no periodic tasks, no
result backend (the scan's database row is the source of truth for its state and results). RQ is the
smallest library that does this over plain Redis, its jobs are ordinary functions named by import
path (so this adapter never imports the services it runs), and its ``SimpleWorker`` runs jobs in the
calling process, which lets CI exercise the real Redis path without spawning processes.

Jobs travel as JSON (RQ's ``JSONSerializer``), never pickle: a worker must not unpickle whatever
someone managed to put into Redis. Arguments are therefore plain ints and strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Redis and RQ are the `workers` extra: imported only when a queue is used
    from redis import Redis
    from rq import Queue

DEFAULT_JOB_TIMEOUT = 3600  # a full scan of 10k items takes about a minute; leave room for big datasets


MISSING_EXTRA = "Scans on workers need Redis and RQ: pip install 'sebrus[workers]'."


def connect(url: str) -> Redis:
    try:
        from redis import Redis
    except ImportError as missing:
        raise RuntimeError(MISSING_EXTRA) from missing
    return Redis.from_url(url)


def make_queue(connection: Redis, name: str) -> Queue:
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(name, connection=connection, serializer=JSONSerializer)


class RedisJobQueue:
    """Enqueue functions by import path onto one named RQ queue."""

    def __init__(self, url: str, name: str, *, job_timeout: int = DEFAULT_JOB_TIMEOUT) -> None:
        self.name = name
        self.connection = connect(url)
        self.queue = make_queue(self.connection, name)
        self.job_timeout = job_timeout

    def enqueue(self, function_path: str, *args: Any, job_id: str | None = None) -> str:
        """Queue ``function_path(*args)``; returns the RQ job id."""
        job = self.queue.enqueue_call(
            function_path,
            args=args,
            timeout=self.job_timeout,
            job_id=job_id,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        return str(job.id)

    def close(self) -> None:
        self.connection.close()


def run_worker(url: str, queue_name: str, *, burst: bool = False, in_process: bool = False) -> bool:
    """Work the queue until stopped (or until empty with ``burst``).

    ``in_process`` uses RQ's ``SimpleWorker`` (no fork per job): what tests use, and what a platform
    without ``fork`` needs. The default forks a work horse per job, so a job that leaks or crashes
    takes only its horse down.
    """
    from rq import SimpleWorker, Worker
    from rq.serializers import JSONSerializer

    connection = connect(url)
    try:
        worker_class = SimpleWorker if in_process else Worker
        worker = worker_class(
            [make_queue(connection, queue_name)], connection=connection, serializer=JSONSerializer
        )
        return bool(worker.work(burst=burst))
    finally:
        connection.close()

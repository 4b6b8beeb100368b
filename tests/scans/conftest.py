"""The platform on a temporary data directory, a live server for the scan commands, and a private RQ
queue on the local Redis for one test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, live_server
from tests.support.platform import Platform, cheap_settings, serving

REDIS_URL = os.environ.get("SEBRUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_queue() -> Iterator[tuple[str, str]]:
    """(redis url, queue name); skipped when Redis is unreachable, unless CI is set (then it fails)."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

    from sebrus.jobs.queue import make_queue

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError as exc:
        connection.close()
        reason = f"Redis at {REDIS_URL} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    name = f"sebrus-test-{uuid.uuid4().hex}"
    try:
        yield REDIS_URL, name
    finally:
        queue = make_queue(connection, name)
        job_ids = set(queue.get_job_ids())
        for registry in (FinishedJobRegistry, FailedJobRegistry, StartedJobRegistry):
            job_ids.update(registry(queue=queue).get_job_ids())
        for job_id in job_ids:
            for key in connection.scan_iter(match=f"rq:*{job_id}*"):
                connection.delete(key)
        queue.delete(delete_jobs=True)
        for key in connection.scan_iter(match=f"*{name}*"):
            connection.delete(key)
        for key in connection.scan_iter(match="rq:worker:*"):  # a burst worker's registration outlives it
            if connection.type(key) == b"hash" and name.encode() in (connection.hget(key, "queues") or b""):
                connection.delete(key)
        connection.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with serving(cheap_settings(tmp_path, upload_rate_per_minute=0)) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    """A live server for the ``sebrus scan`` commands, and its data directory (to reach its blobs)."""
    data_dir = tmp_path_factory.mktemp("scan-cli")
    with live_server(cheap_settings(data_dir, upload_rate_per_minute=0)) as running:
        yield running, data_dir

"""The platform on a temporary data directory, and a private RQ queue on the local Redis for one test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sebrus.platform import build_platform
from tests.scans.helpers import Platform, settings_for

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
    app, services = build_platform(settings_for(tmp_path))
    services.start()
    try:
        with TestClient(app) as client:
            yield client, services
    finally:
        services.stop()

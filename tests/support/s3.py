"""A real S3-protocol server for the tests: moto's ``moto_server`` as a child process on 127.0.0.1.

It runs apart from the test process (not moto's in-process mocks), so the S3 blob store talks HTTP to
it exactly as it would to MinIO or AWS. One server serves the whole session; each test gets a bucket
of its own. The process is stopped by its PID when the session ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sebrus.testing.s3_server import FAKE_AWS, MotoUnavailable, moto_server


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    pid: int

    def client(self) -> Any:
        from sebrus.blobs.factory import s3_client

        return s3_client(self.endpoint_url)

    def new_bucket(self) -> str:
        """A fresh, empty bucket, so tests never see each other's objects."""
        name = f"sebrus-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name


def run_moto_server(log_path: Path) -> Iterator[S3Server]:
    """``moto_server`` for the session; skipped where it is not installed, a failure in CI."""
    try:
        with moto_server(log_path) as (endpoint, pid):
            yield S3Server(endpoint_url=endpoint, pid=pid)
    except MotoUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI is set, so this is a failure, not a skip")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """The session's moto server, with fake AWS credentials in the environment while it runs."""
    saved = {name: os.environ.get(name) for name in FAKE_AWS}
    os.environ.update(FAKE_AWS)
    try:
        yield from run_moto_server(tmp_path_factory.mktemp("moto") / "moto_server.log")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

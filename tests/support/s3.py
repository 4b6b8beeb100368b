"""A real S3-protocol server for the tests: moto's ``moto_server`` as a child process on 127.0.0.1.

It runs apart from the test process (not moto's in-process mocks), so the S3 blob store talks HTTP to
it exactly as it would to MinIO or AWS. One server serves the whole session; each test gets a bucket
of its own. The process is stopped by its PID when the session ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import free_port

# moto accepts any credentials; boto3 only needs some to sign with.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "sebrus-test",
    "AWS_SECRET_ACCESS_KEY": "sebrus-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


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


def _moto_server_command() -> list[str] | None:
    beside_python = Path(sys.executable).with_name("moto_server")
    found = str(beside_python) if beside_python.exists() else shutil.which("moto_server")
    return [found] if found else None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run_moto_server(log_path: Path) -> Iterator[S3Server]:
    """Start ``moto_server`` on a free port, wait until it answers, yield it, then stop it by PID."""
    command = _moto_server_command()
    if command is None:
        reason = "moto_server is not installed (the dev extra pins moto[server])"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip")
        pytest.skip(reason)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                tail = log_path.read_text()[-2000:]
                raise RuntimeError(f"moto_server exited with {process.returncode}: {tail}")
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not answer on {endpoint} within 60 s") from None
                time.sleep(0.1)
        yield S3Server(endpoint_url=endpoint, pid=process.pid)
    finally:
        _stop(process)


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

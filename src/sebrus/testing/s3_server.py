"""A real S3-protocol server for tests and benchmarks: moto's ``moto_server`` as a child process.

It runs apart from the caller's process (not moto's in-process mocks), so the S3 blob store talks
HTTP to it exactly as it would to MinIO or AWS. It binds 127.0.0.1 on a free port and is stopped by
its PID when the context ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from sebrus.testing.cluster import free_port

# moto accepts any credentials; boto3 only needs some to sign with.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "sebrus-test",
    "AWS_SECRET_ACCESS_KEY": "sebrus-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoUnavailable(RuntimeError):
    """moto_server is not installed (the dev extra pins ``moto[server]``)."""


def moto_server_command() -> list[str] | None:
    beside_python = Path(sys.executable).with_name("moto_server")
    found = str(beside_python) if beside_python.exists() else shutil.which("moto_server")
    return [found] if found else None


@contextlib.contextmanager
def moto_server(log_path: Path) -> Iterator[tuple[str, int]]:
    """Start ``moto_server``, wait until it answers; yields its endpoint URL and PID."""
    command = moto_server_command()
    if command is None:
        raise MotoUnavailable("moto_server is not installed (the dev extra pins moto[server])")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - moto's own launcher, arguments from this code
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
        yield endpoint, process.pid
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

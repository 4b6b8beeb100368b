"""``sebrus serve`` as a real child process, so a test can SIGKILL it like a power cut and start it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.live_server import free_port

CHEAP_ARGON2 = {
    "SEBRUS_PASSWORD_TIME_COST": "1",
    "SEBRUS_PASSWORD_MEMORY_COST_KIB": "8",
    "SEBRUS_PASSWORD_PARALLELISM": "1",
    "SEBRUS_SIGNUP_PER_HOUR": "0",  # every test account comes from 127.0.0.1
}


class ServerProcess:
    """One ``sebrus serve`` on a data directory; ``fault`` sets ``SEBRUS_FAULT`` for this run only,
    ``settings`` any other ``SEBRUS_*`` variables (``{"REVIEW_FINALIZER_SECONDS": "0.2"}``)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        fault: str | None = None,
        upload_wait_seconds: float = 10,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-serve-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEBRUS_")}
        env.update(CHEAP_ARGON2)
        env["SEBRUS_DATA_DIR"] = str(data_dir)
        env["SEBRUS_UPLOAD_WAIT_SECONDS"] = str(upload_wait_seconds)
        env["SEBRUS_AUDIT_CACHE_SECONDS"] = "0"  # tests poll the audit until it shows the settled state
        env["SEBRUS_DATASET_CREATIONS_PER_HOUR"] = "0"
        if fault is not None:
            env["SEBRUS_FAULT"] = fault
        env.update({f"SEBRUS_{name}": value for name, value in (settings or {}).items()})
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from sebrus.cli import main; main()",
                    "serve",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sebrus serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"sebrus serve did not answer within {timeout} s:\n{self.log_tail()}")

    def wait_dead(self, timeout: float = 30) -> int:
        """Wait for the process to die by itself (a fault point fired); its exit status."""
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly as if the machine lost power."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text("utf-8", errors="replace")[-chars:]

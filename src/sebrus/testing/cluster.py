"""Several SeBRUS processes on one PostgreSQL schema and one rpc chain: ``sebrus serve --workers N`` and
any number of ``sebrus worker`` processes, each a real child process that can be SIGKILLed.

Shared by the multi-process test (tests/platform/test_scale_out.py) and ``benchmarks/scaleout.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from eth_account import Account
from web3 import HTTPProvider, Web3

from sebrus.chain.operators import write_keystore

# anvil's first well-known development key (mnemonic "test test ... junk"); it exists only on
# local development nodes.
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
# Password hashing at its cheapest and no sign-up limit: setting up accounts is not what is measured.
CHEAP_ACCOUNTS = {
    "SEBRUS_PASSWORD_TIME_COST": "1",
    "SEBRUS_PASSWORD_MEMORY_COST_KIB": "8",
    "SEBRUS_PASSWORD_PARALLELISM": "1",
    "SEBRUS_SIGNUP_PER_HOUR": "0",
    "SEBRUS_DATASET_CREATIONS_PER_HOUR": "0",
}

KEYSTORE_PASSWORD = "cluster-keystore-password"  # noqa: S105 - a throwaway test deployment's
SECRET_KEY = "cluster-secret-" + "k" * 40


def cluster_environment(
    data_dir: Path,
    database_url: str,
    chain_url: str,
    *,
    blob_url: str | None = None,
    s3_endpoint: str | None = None,
) -> dict[str, str]:
    """What every process of one deployment shares, with a deployer key of its own on the node (so
    that no other test's nonces are touched) funded from the node's first development account."""
    deployer = Account.create()
    w3 = Web3(HTTPProvider(chain_url))
    funder = Account.from_key(ANVIL_KEY_0)
    tx = {
        "to": deployer.address,
        "value": Web3.to_wei(10_000, "ether"),
        "gas": 21_000,
        "maxFeePerGas": 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(funder.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    sent = w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(sent, timeout=30)
    keystores = data_dir / "keystores"
    write_keystore(keystores, "deployer", deployer.key.hex(), KEYSTORE_PASSWORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEBRUS_")}
    env.update(CHEAP_ACCOUNTS)
    env.update(
        {
            "SEBRUS_DATA_DIR": str(data_dir),
            "SEBRUS_DATABASE_URL": database_url,
            "SEBRUS_CHAIN_URL": chain_url,
            "SEBRUS_KEYSTORE_DIR": str(keystores),
            "SEBRUS_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD,
            "SEBRUS_SECRET_KEY": SECRET_KEY,
            "SEBRUS_UPLOAD_WAIT_SECONDS": "30",
            "SEBRUS_UPLOAD_RATE_PER_MINUTE": "0",
        }
    )
    if blob_url is not None:
        env["SEBRUS_BLOB_URL"] = blob_url
    if s3_endpoint is not None:
        env["SEBRUS_S3_ENDPOINT_URL"] = s3_endpoint
    return env


def free_port() -> int:
    """A local port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Process:
    """One child process of the deployment, logging to a file of its own."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI, arguments from our code
                [sys.executable, "-c", "from sebrus.cli import main; main()", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # uvicorn's worker processes die with their group
            )

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the process and the live members of its group
        (uvicorn's worker processes), read from /proc: what each role costs per upload."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            # After the command: state, ppid, pgrp, ...; utime and stime are fields 14 and 15 of stat.
            if int(fields[2]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_web(env: dict[str, str], log_dir: Path, *, workers: int) -> tuple[Process, str]:
    port = free_port()
    web = Process("web", ["serve", "--workers", str(workers), "--port", str(port)], env, log_dir)
    url = f"http://127.0.0.1:{port}"
    wait_ready(web, url)
    return web, url


def wait_ready(process: Process, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer within {timeout} s:\n{process.log_text()[-4000:]}")


def start_worker(env: dict[str, str], log_dir: Path, name: str) -> Process:
    return Process(name, ["worker"], env, log_dir)


def wait_for_log(process: Process, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in process.log_text():
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_text()[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{process.name} never logged {text!r}:\n{process.log_text()[-4000:]}")
        time.sleep(0.2)


def reverted_transactions(chain_url: str, first_block: int) -> int:
    """Transactions mined since ``first_block`` that reverted (status 0)."""
    w3 = Web3(HTTPProvider(chain_url))
    reverted = 0
    for number in range(first_block, int(w3.eth.block_number) + 1):
        for tx_hash in w3.eth.get_block(number)["transactions"]:
            if w3.eth.get_transaction_receipt(tx_hash)["status"] == 0:  # type: ignore[arg-type]
                reverted += 1
    return reverted

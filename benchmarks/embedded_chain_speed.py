"""How much the persisted embedded chain costs against eth-tester's in-memory chain.

Both runs send the same plain ETH transfers, signed locally with eth-account and sent raw with explicit
gas (as the ledger does), one block per transaction, reading each receipt back. Also timed: reopening
the persisted chain, and ``eth_getLogs`` over the whole chain after the reopen.

    .venv/bin/python benchmarks/embedded_chain_speed.py [--transactions 500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from sebrus.chain.embedded_store import open_embedded_tester

SENDER: LocalAccount = Account.from_key("0x" + "42" * 32)
RECIPIENT = Web3.to_checksum_address("0x" + "cd" * 20)


def send_transfers(w3: Web3, count: int) -> tuple[float, float]:
    """Wall and CPU seconds taken to sign, send and read the receipt of ``count`` transfers.

    CPU time leaves out waiting for ``fsync`` and for other processes on a busy machine.
    """
    chain_id = w3.eth.chain_id
    nonce = w3.eth.get_transaction_count(SENDER.address)
    started, started_cpu = time.perf_counter(), time.process_time()
    for offset in range(count):
        signed = SENDER.sign_transaction(
            {
                "to": RECIPIENT,
                "value": 1,
                "gas": 21_000,
                "maxFeePerGas": 2 * 10**9,
                "maxPriorityFeePerGas": 10**9,
                "nonce": nonce + offset,
                "chainId": chain_id,
            }
        )
        receipt = w3.eth.get_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
        assert receipt["status"] == 1
    return time.perf_counter() - started, time.process_time() - started_cpu


def in_memory_web3() -> Web3:
    state = PyEVMBackend.generate_genesis_state(num_accounts=0)
    state[bytes.fromhex(SENDER.address[2:])] = {"balance": 10**24, "nonce": 0, "code": b"", "storage": {}}
    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend(genesis_state=state))))


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=500)
    count = parser.parse_args().transactions

    memory_wall, memory_cpu = send_transfers(in_memory_web3(), count)

    with tempfile.TemporaryDirectory() as scratch:
        chain_dir = Path(scratch) / "chain"
        create_seconds, chain = timed(
            lambda: open_embedded_tester(chain_dir, funded_accounts=[SENDER.address])
        )
        with chain:
            persistent_wall, persistent_cpu = send_transfers(Web3(chain.web3_provider()), count)

        reopen_times = []
        for _ in range(5):
            seconds, chain = timed(lambda: open_embedded_tester(chain_dir))
            reopen_times.append(seconds)
            chain.close()

        with open_embedded_tester(chain_dir) as chain:
            w3 = Web3(chain.web3_provider())
            logs_seconds, _ = timed(lambda: w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"}))
            head = w3.eth.block_number
        size = directory_size(chain_dir)

    print(f"{'transfers per run:':29s}{count:7d} (one block each)")
    for name, wall, cpu in (
        ("in-memory eth-tester", memory_wall, memory_cpu),
        ("persistent embedded chain", persistent_wall, persistent_cpu),
    ):
        print(f"{name + ':':29s}{count / wall:7.1f} tx/s wall, {cpu / count * 1000:5.1f} ms CPU per tx")
    print(f"{'create (genesis, first open):':29s}{create_seconds * 1000:7.1f} ms")
    print(f"{f'reopen at block {head}:':29s}{statistics.median(reopen_times) * 1000:7.1f} ms (median of 5)")
    print(f"{f'eth_getLogs over {head + 1} blocks:':29s}{logs_seconds * 1000:7.1f} ms")
    print(f"{'chain directory size:':29s}{size / 1024:7.1f} KiB ({size / max(head, 1):.0f} bytes per block)")


if __name__ == "__main__":
    main()

"""What the embedded chain's JSON-RPC methods cost, and how long the worst of them hold the chain.

Every call on ``/rpc`` holds the chain (the platform's own sends wait meanwhile), so the bounds on
``eth_getLogs`` (2,000 blocks) and ``eth_feeHistory`` (1,024 blocks) are what limit how long one
request can stall the platform (both read in turns of 50 blocks). This builds a persisted embedded
chain with ``--blocks`` blocks whose one transaction each emits a log (the worst case for a log query),
and times each method through :class:`~sebrus.chain.rpc_server.EmbeddedRpc` in-process (no HTTP).

    .venv/bin/python benchmarks/rpc_endpoint.py [--blocks 2100] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from sebrus.chain.backends import open_chain
from sebrus.chain.jsonrpc import Envelope, parse
from sebrus.chain.rpc_server import MAX_FEE_HISTORY_BLOCKS, MAX_LOG_BLOCKS, EmbeddedRpc
from sebrus.chain.transactor import calldata
from sebrus.config import Settings


def ask(rpc: EmbeddedRpc, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    envelope = parse(body, max_batch=1)
    assert isinstance(envelope, Envelope)
    answered = rpc.serve(envelope)
    assert isinstance(answered, dict) and "result" in answered, answered
    return answered["result"]


def timed(rpc: EmbeddedRpc, repeat: int, method: str, *params: Any) -> tuple[float, float]:
    """Median and worst milliseconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        ask(rpc, method, *params)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


# A contract whose every call emits one empty log: runtime PUSH1 0 PUSH1 0 LOG0 STOP, and the init code
# that returns it.
LOGGER_RUNTIME = "60006000a000"
LOGGER_INIT = "0x65" + LOGGER_RUNTIME + "600052" + "6006601af3"


def raw_send(rpc: EmbeddedRpc, sender: LocalAccount, nonce: int, **tx: Any) -> str:
    signed = sender.sign_transaction(
        {
            "gas": 60_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "nonce": nonce,
            "chainId": int(ask(rpc, "eth_chainId"), 16),
            **tx,
        }
    )
    return str(ask(rpc, "eth_sendRawTransaction", "0x" + signed.raw_transaction.hex()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=2_100, help="Blocks (one logging call each) to build.")
    parser.add_argument("--repeat", type=int, default=20, help="Calls timed per method.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, open_chain(Settings(data_dir=Path(data_dir))) as handle:
        handle.init()
        assert handle.embedded is not None
        rpc = EmbeddedRpc(handle.embedded, handle.ledger.transactor)
        wallet: LocalAccount = Account.create()
        handle.ledger.transfer(handle.operators.deployer, wallet.address, 10**21)
        deployed = raw_send(rpc, wallet, 0, data=LOGGER_INIT, gas=100_000)
        logger = ask(rpc, "eth_getTransactionReceipt", deployed)["contractAddress"]
        started = time.perf_counter()
        for nonce in range(1, args.blocks + 1):
            raw_send(rpc, wallet, nonce, to=logger)
        built = time.perf_counter() - started
        each = built / args.blocks * 1000
        print(f"{args.blocks} logging calls through eth_sendRawTransaction: {each:.1f} ms each")

        head = int(ask(rpc, "eth_blockNumber"), 16)
        ledger = handle.ledger
        manager = ledger.transactor.contract(ledger.deployment.manager, ledger._manager_abi)
        view = {"to": manager.address, "data": calldata(manager, "getDatasetCount")}
        logs_from = max(0, head - MAX_LOG_BLOCKS + 1)
        history = min(MAX_FEE_HISTORY_BLOCKS, head + 1)
        absent = "0x" + "ee" * 20  # a filter the header blooms rule out: blocks are skipped on their header
        cases: list[tuple[str, str, tuple[Any, ...]]] = [
            ("eth_blockNumber", "", ()),
            ("eth_getBalance", "", (wallet.address, "latest")),
            ("eth_call", "a view", (view,)),
            ("eth_estimateGas", "a view", (view,)),
            ("eth_getBlockByNumber", "full", ("latest", True)),
            ("eth_getTransactionReceipt", "", (deployed,)),
            (
                "eth_getLogs",
                f"all, {head - logs_from + 1} blocks",
                ({"fromBlock": hex(logs_from), "toBlock": "latest"},),
            ),
            (
                "eth_getLogs",
                f"no match, {head - logs_from + 1} blocks",
                ({"fromBlock": hex(logs_from), "toBlock": "latest", "address": absent},),
            ),
            ("eth_feeHistory", f"{history} blocks", (hex(history), "latest", [])),
            ("eth_feeHistory", f"{history} blocks, 3 percentiles", (hex(history), "latest", [10, 50, 90])),
        ]
        print(f"chain head {head}; median / worst ms of {args.repeat} calls (3 for the long reads):")
        for method, what, params in cases:
            repeat = 3 if method in ("eth_getLogs", "eth_feeHistory") else args.repeat
            median, worst = timed(rpc, repeat, method, *params)
            print(f"  {method}{f' ({what})' if what else ''}: {median:.1f} / {worst:.1f}")


if __name__ == "__main__":
    main()

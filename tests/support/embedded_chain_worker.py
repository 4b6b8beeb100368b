"""A separate process for the embedded-chain tests: the chain must survive its owner's exit or death.

Run as ``python -P tests/support/embedded_chain_worker.py COMMAND CHAIN_DIR [ARGS]``:

* ``transfers CHAIN_DIR PRIVATE_KEY RECIPIENT COUNT`` sends COUNT transfers (the n-th, nonce n - 1,
  carries ``transfer_value(n)`` wei), printing each block number once its receipt is back, so a test
  can ``kill -9`` it mid-stream and know what was acknowledged.
* ``try-open CHAIN_DIR`` opens the chain and prints ``{"opened": true}``, or the error's type and text.
* ``dump CHAIN_DIR ADDRESS [ADDRESS ...]`` prints, as JSON, the head block, each address's balance, code
  and storage slot 0, and every log since genesis.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3

from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID, open_embedded_tester

MAX_FEE_PER_GAS = 2 * 10**9
PRIORITY_FEE_PER_GAS = 10**9


def transfer_value(n: int) -> int:
    """Distinct per transfer, so a balance proves exactly which prefix of transfers was applied."""
    return n * 1_000_000_007


def _transfers(chain_dir: Path, private_key: str, recipient: str, count: int) -> None:
    account = Account.from_key(private_key)
    with open_embedded_tester(chain_dir) as chain:
        w3 = Web3(chain.web3_provider())
        first_nonce = w3.eth.get_transaction_count(account.address)
        for nonce in range(first_nonce, first_nonce + count):
            transaction = {
                "to": recipient,
                "value": transfer_value(nonce + 1),
                "gas": 21_000,
                "maxFeePerGas": MAX_FEE_PER_GAS,
                "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS,
                "nonce": nonce,
                "chainId": EMBEDDED_CHAIN_ID,
            }
            signed = account.sign_transaction(transaction)
            receipt = w3.eth.get_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
            print(receipt["blockNumber"], flush=True)


def _try_open(chain_dir: Path) -> None:
    try:
        chain = open_embedded_tester(chain_dir)
    except Exception as error:
        print(json.dumps({"opened": False, "error": type(error).__name__, "message": str(error)}))
        return
    chain.close()
    print(json.dumps({"opened": True}))


def _dump(chain_dir: Path, addresses: list[str]) -> None:
    with open_embedded_tester(chain_dir) as chain:
        w3 = Web3(chain.web3_provider())
        head = w3.eth.get_block("latest")
        accounts: dict[str, Any] = {}
        for address in addresses:
            accounts[address] = {
                "balance": w3.eth.get_balance(address),
                "code": w3.eth.get_code(address).hex(),
                "slot0": w3.eth.get_storage_at(address, 0).hex(),
            }
        logs = [
            {
                "address": log["address"],
                "block": log["blockNumber"],
                "topics": [topic.hex() for topic in log["topics"]],
                "data": log["data"].hex(),
            }
            for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})
        ]
        result = {
            "chain_id": w3.eth.chain_id,
            "head": {"number": head["number"], "hash": head["hash"].hex(), "timestamp": head["timestamp"]},
            "accounts": accounts,
            "logs": logs,
        }
    print(json.dumps(result))


def main(argv: list[str]) -> None:
    command, chain_dir = argv[0], Path(argv[1])
    if command == "transfers":
        _transfers(chain_dir, argv[2], argv[3], int(argv[4]))
    elif command == "try-open":
        _try_open(chain_dir)
    elif command == "dump":
        _dump(chain_dir, argv[2:])
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

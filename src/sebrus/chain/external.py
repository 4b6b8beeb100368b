"""Transactions that keys outside the server sign: a voter's browser wallet, for one.

The server builds the call (:func:`unsigned_call`: the same checks, gas limit and value as when it
signs itself), tries it first (:meth:`ExternalTransactions.simulate`: a wallet pays gas even for a
transaction that reverts), hands it out, and later waits for the hash the wallet reports and decodes
what it did (:meth:`ExternalTransactions.wait`). Raw sends go through
:meth:`~sebrus.chain.transactor.Transactor.send_raw`, which keeps our nonce counters right even when
the wallet holds one of the server's own keys.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eth_tester.exceptions import TransactionNotFound as TesterTransactionNotFound
from eth_utils import to_checksum_address
from web3.contract import Contract
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from sebrus.chain.errors import InvalidInput, LedgerError
from sebrus.chain.reverts import REVERTS
from sebrus.chain.transactor import Transactor, calldata
from sebrus.chain.types import ExternalTx, UnsignedCall
from sebrus.chain.validation import checked_address, checked_hash

UNKNOWN_TX_GRACE_SECONDS = 15.0  # how long a hash the node never heard of may take to arrive

_NOT_FOUND = (TransactionNotFound, TesterTransactionNotFound)


def unsigned_call(
    contract: Contract, function: str, args: Sequence[Any], gas: int, value_wei: int = 0
) -> UnsignedCall:
    """``function(*args)`` on ``contract`` as a wallet would send it."""
    data = calldata(contract, function, args)
    return UnsignedCall(str(contract.address), bytes.fromhex(data.removeprefix("0x")), value_wei, gas)


class ExternalTransactions:
    """Nonces, fees, a dry run, raw submission and decoding, for transactions signed elsewhere."""

    def __init__(self, transactor: Transactor) -> None:
        self._tx = transactor

    def pending_nonce(self, address: str) -> int:
        """The next nonce of ``address`` as the node counts it, for a wallet that signs elsewhere."""
        account = checked_address(address)
        with self._tx.exclusive():
            return int(self._tx.w3.eth.get_transaction_count(account, "pending"))  # type: ignore[arg-type]

    def fee_suggestion(self) -> dict[str, int]:
        """The EIP-1559 fees the server pays now (``maxFeePerGas``, ``maxPriorityFeePerGas``)."""
        with self._tx.exclusive():
            return dict(self._tx.fees())

    def send_raw_transaction(self, raw: bytes | str) -> str:
        """Send a transaction signed elsewhere and return its hash."""
        if isinstance(raw, str):
            try:
                raw = bytes.fromhex(raw.removeprefix("0x"))
            except ValueError:
                raise InvalidInput("a raw transaction is hex") from None
        if not raw:
            raise InvalidInput("a raw transaction cannot be empty")
        return self._tx.send_raw(raw)

    def simulate(self, sender: str, call: UnsignedCall) -> None:
        """Run ``call`` as ``sender`` would send it, on the latest state, without sending anything.

        The contract's refusal arrives as ``ContractReverted``, as it would from the transaction."""
        params = {
            "from": checked_address(sender, "sender"),
            "to": call.to,
            "data": "0x" + call.data.hex(),
            "value": call.value_wei,
            "gas": call.gas,
        }
        try:
            with self._tx.exclusive():
                self._tx.w3.eth.call(params)  # type: ignore[arg-type]
        except REVERTS as exc:
            raise self._tx.reverted(exc, None) from exc
        except Exception as exc:  # e.g. the node refuses a call whose value exceeds the balance
            raise LedgerError(f"the node could not try the transaction: {exc}") from exc

    def wait(self, tx_hash: str, timeout: float | None = None) -> ExternalTx:
        """Wait for a transaction someone else sent, then decode it like one of ours.

        Refused with ``InvalidInput`` when the node does not know the hash. A revert is replayed as
        a call on the state it ran on (as for our own transactions) and returned in ``reverted``
        rather than raised, so that the caller can first check whose transaction it was."""
        digest = checked_hash(tx_hash, "transaction hash")
        shown = "0x" + digest.hex()
        receipt = self._receipt(digest, shown, self._tx.receipt_timeout if timeout is None else timeout)
        with self._tx.exclusive():
            tx = self._tx.w3.eth.get_transaction(digest)  # type: ignore[arg-type]
            events = self._tx.events.decode_all(receipt["logs"])
        sender = to_checksum_address(tx["from"])
        to = to_checksum_address(tx["to"]) if tx.get("to") else None
        data = tx.get("input", b"")
        call = {
            "to": to,
            "data": data if isinstance(data, str) else "0x" + bytes(data).hex(),
            "value": int(tx.get("value", 0)),
            "gas": int(tx.get("gas", 0)),
        }
        reverted = None if receipt["status"] == 1 else self._tx.revert_reason(sender, call, receipt, shown)
        return ExternalTx(
            tx_hash=shown,
            sender=sender,
            to=to,
            value_wei=int(tx.get("value", 0)),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            events=events if reverted is None else (),
            reverted=reverted,
        )

    def _receipt(self, digest: bytes, shown: str, timeout: float) -> TxReceipt:
        started = time.monotonic()
        while True:
            with self._tx.exclusive():
                try:
                    return self._tx.w3.eth.get_transaction_receipt(digest)  # type: ignore[arg-type]
                except _NOT_FOUND:
                    pass
                try:
                    self._tx.w3.eth.get_transaction(digest)  # type: ignore[arg-type]
                    known = True
                except _NOT_FOUND:
                    known = False
            waited = time.monotonic() - started
            # The embedded chain mines on send; a node may need a moment to hear of a wallet's send.
            if not known and (self._tx.serialized or waited >= min(timeout, UNKNOWN_TX_GRACE_SECONDS)):
                raise InvalidInput(f"transaction {shown} is not known to this chain's node")
            if waited >= timeout:
                raise LedgerError(f"transaction {shown} was not mined within {timeout:.0f} s")
            time.sleep(self._tx.poll_latency)

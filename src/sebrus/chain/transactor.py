"""Sending and calling: nonces, fees, signing, receipts, reverts and the contract cache.

Every adapter over SeBRUS's contracts (datasets, reviews, releases, revocations) sends through one
:class:`Transactor`, so they share nonce counters (concurrent senders never collide), the lock the
embedded chain needs (eth-tester is not thread-safe), and how a refusal is decoded.

Transactions are signed locally with eth-account and sent raw with an explicit gas limit on the hot
paths: gas estimation costs about 19 ms a call on py-evm, as much as the transaction itself. When a
transaction reverts it is replayed as a call against the state it ran on to recover the contract's
custom error. Calldata is built with web3's public ``Contract.encode_abi``.

When several processes send from the same keys (web processes signing custodial votes, workers
relaying and finalizing), :meth:`Transactor.share_keys_across_processes` makes every send take a
cross-process mutex per sending address and read the node's pending nonce inside it: one process at
a time owns a key's next nonce, and no counter of ours can drift behind another process's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError
from web3.types import BlockData, TxReceipt

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError
from sebrus.chain.events import EventDecoder
from sebrus.chain.reverts import REVERTS, RevertReader, reverted
from sebrus.chain.types import ChainEvent, TxResult, UnsignedCall
from sebrus.chain.validation import checked_address

# The tip the embedded chain is paid; an rpc node is asked for its own (eth_maxPriorityFeePerGas).
FIXED_PRIORITY_FEE = 1_000_000_000
GAS_TRANSFER = 21_000
FEE_CACHE_SECONDS = 2.0  # fees are re-read at most this often: one block read per send is too slow


class Nonces:
    """Hands out nonces per account so concurrent senders never collide.

    The node's pending count seeds the counter once; after that it only moves forward locally,
    and is re-read when the node rejects a transaction (which means our view drifted).
    """

    def __init__(self, fetch: Callable[[str], int]) -> None:
        self._fetch = fetch
        self._next: dict[str, int] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock_for(self, address: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(address, threading.Lock())

    def take(self, address: str) -> int:
        """Call with ``lock_for(address)`` held."""
        if address not in self._next:
            self._next[address] = self._fetch(address)
        nonce = self._next[address]
        self._next[address] = nonce + 1
        return nonce

    def forget(self, address: str) -> None:
        self._next.pop(address, None)


class Transactor:
    """One chain connection's sending, calling and decoding, shared by every contract adapter."""

    def __init__(
        self,
        w3: Web3,
        *,
        serialize: bool = False,
        receipt_timeout: float = 120.0,
        poll_latency: float = 0.1,
        revert_reader: RevertReader | None = None,
    ) -> None:
        self.w3 = w3
        if not w3.eth.default_account:
            # Reads need some `from`; the persistent embedded chain has no unlocked accounts.
            w3.eth.default_account = "0x" + "00" * 20  # type: ignore[assignment]
        self.receipt_timeout = receipt_timeout
        self.poll_latency = poll_latency
        self._serial = threading.RLock() if serialize else None
        tester = isinstance(w3.provider, EthereumTesterProvider)
        self._revert_reader = revert_reader if revert_reader is not None or not tester else _tester_reader()
        self._fixed_tip = FIXED_PRIORITY_FEE if tester else None
        self._chain_id: int | None = None
        self._nonces = Nonces(lambda a: int(self.w3.eth.get_transaction_count(a, "pending")))  # type: ignore[arg-type]
        self._contracts: dict[tuple[str, int], Contract] = {}  # (address, id of the ABI list)
        self._fee_cache: tuple[float, int, int] = (0.0, 0, 0)
        self._key_mutex: Callable[[str], AbstractContextManager[None]] | None = None
        self.events = EventDecoder(self.contract)

    def share_keys_across_processes(self, mutex: Callable[[str], AbstractContextManager[None]]) -> None:
        """Send from each key under ``mutex("nonce:" + address)``, reading its nonce from the node."""
        self._key_mutex = mutex

    # ------------------------------------------------------------------ the connection

    @property
    def serialized(self) -> bool:
        """Whether calls take turns (the embedded chain), which also means it mines on send."""
        return self._serial is not None

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the chain for a group of requests; a no-op on a node, which serves many at once."""
        if self._serial is None:
            yield
        else:
            with self._serial:
                yield

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with self.exclusive():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        with self.exclusive():
            return int(self.w3.eth.block_number)

    def block(self, block: int | str = "latest") -> BlockData:
        with self.exclusive():
            return self.w3.eth.get_block(block)  # type: ignore[arg-type]

    def gas_used_between(self, first: int, last: int) -> int:
        """Gas used by every transaction in blocks ``first`` to ``last``, both included."""
        with self.exclusive():
            return sum(int(self.w3.eth.get_block(n)["gasUsed"]) for n in range(first, last + 1))

    def balance(self, address: str) -> int:
        account = checked_address(address)
        with self.exclusive():
            return int(self.w3.eth.get_balance(account))  # type: ignore[arg-type]

    def has_code(self, address: str) -> bool:
        with self.exclusive():
            return bool(self.w3.eth.get_code(address))  # type: ignore[arg-type]

    def contract(self, address: str, abi: list[dict[str, Any]]) -> Contract:
        """The contract at ``address``, built once per ABI: a web3 Contract costs about 20 ms, more than
        a send. Keyed by the ABI too, because one address may be read through two ABIs (a version probe,
        then the contract's own version's ABI); callers pass long-lived ABI lists (artifacts)."""
        key = (address, id(abi))
        contract = self._contracts.get(key)
        if contract is None:
            contract = self.w3.eth.contract(address=address, abi=abi)  # type: ignore[call-overload]
            self._contracts[key] = contract
        return contract

    # ------------------------------------------------------------------ reads

    def call(self, fn: Any) -> Any:
        """``fn.call()`` (a bound contract function); a refusal arrives as ``ContractReverted``."""
        try:
            with self.exclusive():
                return fn.call()
        except REVERTS as exc:
            raise self.reverted(exc, None) from exc

    def reverted(self, exc: Exception, tx_hash: str | None) -> ContractReverted:
        """``exc`` decoded, reading this backend's revert text if web3 attached no data."""
        return reverted(exc, tx_hash, self._revert_reader)

    def decode_logs(self, logs: Iterable[Any]) -> tuple[ChainEvent, ...]:
        with self.exclusive():
            return self.events.decode_all(logs)

    def find_events(
        self, from_block: int, to_block: int | None, names: Sequence[str] | None = None
    ) -> list[ChainEvent]:
        """Every registered source's events called ``names`` (all when None), in chain order."""
        topics = self.events.topics(names)
        if not topics:
            return []
        params: dict[str, Any] = {
            "fromBlock": from_block,
            "toBlock": to_block if to_block is not None else "latest",
            "topics": [["0x" + t.hex() for t in topics]],
        }
        with self.exclusive():
            logs = self.w3.eth.get_logs(params)  # type: ignore[arg-type]
        decoded = list(self.decode_logs(logs))
        decoded.sort(key=lambda e: e.position)
        return decoded

    # ------------------------------------------------------------------ writes

    def send(
        self,
        sender: LocalAccount,
        contract: Contract,
        function: str,
        args: Sequence[Any] = (),
        *,
        gas: int | None = None,
        value: int = 0,
    ) -> TxResult:
        """Call ``function(*args)`` on ``contract`` in a transaction; without ``gas`` it is estimated
        (cold paths only)."""
        tx: dict[str, Any] = {"to": contract.address, "data": calldata(contract, function, args)}
        if gas is not None:
            tx["gas"] = gas
        if value:
            tx["value"] = value
        return self.send_tx(sender, tx)

    def estimate(
        self, sender: LocalAccount, contract: Contract, function: str, args: Sequence[Any] = ()
    ) -> int | None:
        """The node's gas estimate for ``function(*args)`` from ``sender``, or None when the node finds
        no gas limit up to the block's at which it succeeds (it reverts, or needs more gas than a block
        holds: both nodes report that as a failed execution); callers refuse such a transaction."""
        tx = {"to": contract.address, "data": calldata(contract, function, args), "from": sender.address}
        try:
            with self.exclusive():
                return int(self.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        except (*REVERTS, Web3RPCError):
            return None

    def block_gas_limit(self) -> int:
        """The gas the latest block may hold: no transaction can use more."""
        return int(self.block()["gasLimit"])

    def transact(
        self, sender: LocalAccount, *, to: str | None = None, data: bytes | str = b"", gas: int | None = None
    ) -> TxResult:
        """Send an arbitrary transaction; for tools and benchmarks that drive other contracts."""
        tx: dict[str, Any] = {"data": data if isinstance(data, str) else "0x" + data.hex()}
        if to is not None:
            tx["to"] = checked_address(to, "recipient")
        if gas is not None:
            tx["gas"] = gas
        return self.send_tx(sender, tx)

    def transfer(self, sender: LocalAccount, to: str, value_wei: int) -> TxResult:
        if value_wei <= 0:
            raise InvalidInput("a transfer must move a positive amount of wei")
        tx: dict[str, Any] = {"to": checked_address(to, "recipient"), "value": value_wei, "gas": GAS_TRANSFER}
        return self.send_tx(sender, tx)

    def send_call(self, sender: LocalAccount, call: UnsignedCall) -> TxResult:
        """Sign and send a call built for an outside wallet with one of our own keys."""
        tx: dict[str, Any] = {"to": call.to, "data": "0x" + call.data.hex(), "gas": call.gas}
        if call.value_wei:
            tx["value"] = call.value_wei
        return self.send_tx(sender, tx)

    def deploy(self, deployer: LocalAccount, artifact: str, *args: Any) -> tuple[str, TxResult]:
        """Deploy the shipped contract ``artifact`` with constructor ``args``: its address and receipt."""
        compiled = load_artifact(artifact)
        factory = self.w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
        result = self.send_tx(deployer, {"data": factory.constructor(*args).data_in_transaction})
        return self.created_address(result), result

    def created_address(self, result: TxResult) -> str:
        """The contract a deployment transaction created."""
        with self.exclusive():
            receipt = self.w3.eth.get_transaction_receipt(result.tx_hash)  # type: ignore[arg-type]
        address = receipt["contractAddress"]
        if address is None:
            raise LedgerError(f"transaction {result.tx_hash} created no contract")
        return str(address)

    def fees(self) -> dict[str, int]:
        """The EIP-1559 fees we pay now; call with :meth:`exclusive` held."""
        stamp, base, tip = self._fee_cache
        if time.monotonic() - stamp > FEE_CACHE_SECONDS:
            block = self.w3.eth.get_block("latest")
            base = int(block.get("baseFeePerGas", 0) or 0)
            tip = self._priority_fee()
            self._fee_cache = (time.monotonic(), base, tip)
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def _priority_fee(self) -> int:
        if self._fixed_tip is not None:
            return self._fixed_tip
        try:
            return int(self.w3.eth.max_priority_fee)
        except Exception:  # a node without eth_maxPriorityFeePerGas or eth_feeHistory
            return FIXED_PRIORITY_FEE

    def send_tx(self, sender: LocalAccount, tx: dict[str, Any]) -> TxResult:
        """Sign and send ``tx`` from ``sender``, wait for its receipt, and decode its events."""
        tx = dict(tx)
        tx.pop("from", None)
        lock = self._nonces.lock_for(sender.address)
        with self.exclusive():
            if "gas" not in tx:
                estimate = self.w3.eth.estimate_gas({**tx, "from": sender.address})  # type: ignore[typeddict-item]
                tx["gas"] = int(estimate * 1.2) + 10_000
            tx.update(self.fees())
            tx["chainId"] = self.chain_id
            with lock, self._owning_nonces(sender.address):
                tx["nonce"] = self._nonces.take(sender.address)
                signed = sender.sign_transaction(tx)
                try:
                    tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                except Exception:
                    self._nonces.forget(sender.address)
                    raise
        receipt = self._wait(tx_hash)
        result_hash = "0x" + bytes(tx_hash).hex()
        if receipt["status"] != 1:
            raise self.revert_reason(sender.address, tx, receipt, result_hash)
        events = self.decode_logs(receipt["logs"])
        return TxResult(result_hash, int(receipt["blockNumber"]), int(receipt["gasUsed"]), events)

    @contextlib.contextmanager
    def _owning_nonces(self, address: str) -> Iterator[None]:
        """Hold ``address``'s nonces against other processes; the count is re-read from the node."""
        if self._key_mutex is None:
            yield
            return
        with self._key_mutex("nonce:" + address):
            self._nonces.forget(address)  # another process may have sent since our last send
            yield

    def send_raw(self, raw: bytes) -> str:
        """Send a transaction signed elsewhere (a wallet, the JSON-RPC endpoint); its hash.

        It takes its turn with our own sends (on the embedded chain nothing else runs meanwhile), and
        holds its sender's nonce lock. If that sender is an account we also sign for (an operator key
        imported into a wallet), its counter is dropped afterwards, so our next send re-reads the
        nonce instead of reusing the one the outside transaction took.
        """
        try:
            sender = str(Account.recover_transaction(raw))
        except Exception as exc:  # rlp, signature and type errors alike: the bytes are not a transaction
            raise InvalidInput(f"not a signed transaction: {exc}") from exc
        with self.exclusive(), self._nonces.lock_for(sender):
            try:
                tx_hash = self.w3.eth.send_raw_transaction(raw)
            finally:
                self._nonces.forget(sender)
        return "0x" + bytes(tx_hash).hex()

    def _wait(self, tx_hash: Any) -> TxReceipt:
        with self.exclusive():
            if self._serial is not None:  # embedded: mined on send
                return self.w3.eth.get_transaction_receipt(tx_hash)
        return self.w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=self.receipt_timeout, poll_latency=self.poll_latency
        )

    def revert_reason(self, sender: str, tx: Any, receipt: TxReceipt, tx_hash: str) -> LedgerError:
        """Why a mined transaction reverted: replayed as a call on the state it ran on."""
        call = {"from": sender, "to": tx.get("to"), "data": tx.get("data", "0x"), "value": tx.get("value", 0)}
        block = int(receipt["blockNumber"])
        for at in (block - 1, "latest"):
            try:
                with self.exclusive():
                    self.w3.eth.call(call, block_identifier=at)  # type: ignore[arg-type]
            except REVERTS as exc:
                return self.reverted(exc, tx_hash)
            except Exception:  # noqa: S112 - some nodes cannot replay history; try the next state
                continue
        if int(receipt["gasUsed"]) >= int(tx.get("gas", 0)):
            return LedgerError(f"transaction {tx_hash} ran out of gas (limit {tx.get('gas')})")
        return LedgerError(f"transaction {tx_hash} reverted without a reason")


def calldata(contract: Contract, function: str, args: Sequence[Any] = ()) -> str:
    """The hex calldata calling ``function(*args)`` on ``contract``."""
    return str(contract.encode_abi(function, args=list(args)))


def _tester_reader() -> RevertReader:
    # backends imports the ledger, which imports this module: take its reader when first needed.
    from sebrus.chain.backends import eth_tester_revert_data

    return eth_tester_revert_data

"""The embedded Ethereum chain: py-evm inside this process, persisted in a LevelDB directory.

With no configuration SeBRUS runs its ledger on this chain, so the chain must behave like a real
node's: what it acknowledged survives a restart or a crash, and it never comes back half-written.

* Crash safety. py-evm writes the state, receipts, header and canonical head of a block in several
  steps. All of them go into a :class:`~sebrus.chain.leveldb.WriteBuffer` and reach disk in ONE
  LevelDB batch (``sync=True``) when the block is mined, before ``send_raw_transaction`` returns.
  After ``kill -9`` the directory holds a prefix of the chain that ends at or after the last block
  anyone was told about; nothing acknowledged is lost and no block is partial.
* Everything a client reads lives in that database. Blocks, receipts and the transaction index are
  py-evm's own tables, and eth-tester derives ``eth_getLogs`` from receipts, so logs of old blocks are
  served after a restart with nothing kept aside. eth-tester finds a transaction by walking back from
  the head block by block, which gets slower as the chain grows; :class:`_PersistentBackend` uses
  py-evm's transaction index instead.
* One process owns the chain. LevelDB locks its directory; a second opener gets :class:`ChainLocked`
  naming the directory rather than a chain that two writers would corrupt.
* Timestamps follow the wall clock and strictly increase, across restarts too: a block takes the
  current time, or its parent's time plus one second when blocks come faster than one a second. With
  one transaction per block, a burst of N transactions in a second puts the chain up to N seconds
  ahead of the clock; it stays put until the clock catches up while the chain is quiet.
* One request at a time. py-evm is not thread-safe; the provider from
  :meth:`EmbeddedChain.web3_provider` serialises requests on :attr:`EmbeddedChain.lock`.

Reverts: a transaction that reverts (or runs out of gas) is still mined; ``send_raw_transaction``
returns its hash and its receipt has ``status == 0``. The revert data is not in the receipt: replay the
call with ``eth_call`` on the parent block, which raises eth-tester's ``TransactionFailed`` worded
``"execution reverted: b'...'"`` (the repr of the revert bytes). Transactions that cannot be included
at all (wrong nonce or chain id, balance below value plus gas times fee, gas below the intrinsic cost)
raise ``eth_utils.ValidationError`` from ``send_raw_transaction`` and mine nothing.

Chain id: web3's ``EthereumTesterProvider`` answers ``eth_chainId`` with a constant of its own, so
build providers with :meth:`EmbeddedChain.web3_provider`, which answers with :data:`EMBEDDED_CHAIN_ID`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    SignedTransactionAPI,
    TransactionBuilderAPI,
    VirtualMachineAPI,
)
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH, POST_MERGE_DIFFICULTY, POST_MERGE_MIX_HASH, POST_MERGE_NONCE
from eth.exceptions import CanonicalHeadNotFound, Revert, VMError
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.typing import AccountDetails, AccountState, HeaderParams
from eth.vm.forks import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_bloom import BloomFilter
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.serializers import serialize_transaction, serialize_transaction_receipt
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound
from eth_typing import BlockNumber, Hash32
from eth_utils import ValidationError, encode_hex, is_checksum_address, to_canonical_address
from web3 import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

from sebrus.chain.leveldb import LevelDB, LevelDBLocked, WriteBuffer
from sebrus.primitives import private_dir

__all__ = [
    "BLOCK_GAS_LIMIT",
    "EMBEDDED_CHAIN_ID",
    "BlockFees",
    "CallFailed",
    "ChainLocked",
    "EmbeddedChain",
    "LogEntry",
    "NotAnEmbeddedChain",
    "open_embedded_tester",
]

EMBEDDED_CHAIN_ID: Final = 131277
"""Chain id of every embedded SeBRUS chain; transactions must be signed for it."""

BLOCK_GAS_LIMIT: Final = 30_000_000
"""Gas limit of every block, kept constant (as on mainnet today) rather than drifting per block."""

_MARKER_KEY: Final = b"sebrus:embedded-chain"
_MARKER_FORMAT: Final = 1
_ZERO_ADDRESS: Final = b"\x00" * 20
_BLOB_TRANSACTION_TYPE: Final = b"\x03"
_MAX_UINT256: Final = 2**256 - 1


def _wall_clock() -> int:
    """Seconds since the epoch; one place to read the clock, so tests can move it."""
    return int(time.time())


class ChainLocked(RuntimeError):
    """The chain directory is already open, in another process or through another handle."""

    def __init__(self, chain_dir: Path) -> None:
        super().__init__(
            f"the embedded chain in {chain_dir} is already open (by another process, or another handle "
            "in this one); only one may own it: stop the other owner, or point SeBRUS at a JSON-RPC node"
        )
        self.chain_dir = chain_dir


class NotAnEmbeddedChain(ValueError):
    """The directory holds a database, but not one this module created for this chain id."""


class CallFailed(TransactionFailed):
    """An ``eth_call`` that failed, keeping what eth-tester's own ``TransactionFailed`` drops.

    The message is eth-tester's (the decoded ``Error(string)`` reason, else the VM error's text), so
    web3 and :func:`sebrus.chain.backends.eth_tester_revert_data` read it as before. ``revert_data``
    holds the exact revert bytes (empty when the call did not revert but failed otherwise, e.g. out
    of gas): the JSON-RPC endpoint answers them as geth does, which a decoded string cannot do.
    """

    def __init__(self, message: str, error: VMError) -> None:
        super().__init__(message)
        self.reverted = isinstance(error, Revert)
        payload = error.args[0] if self.reverted and error.args else b""
        self.revert_data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
        self.vm_error = str(error)


@dataclass(frozen=True)
class LogEntry:
    """One log as a client sees it: where it sits (block, transaction, index in its block), what it says."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int


@dataclass(frozen=True)
class BlockFees:
    """A block's fee facts for ``eth_feeHistory``: base fee, gas, and each transaction's (tip, gas used)."""

    number: int
    base_fee: int
    gas_used: int
    gas_limit: int
    tips: tuple[tuple[int, int], ...]


class _EmbeddedMiningChain(MiningChain):
    chain_id = EMBEDDED_CHAIN_ID
    vm_configuration: tuple[tuple[BlockNumber, type[VirtualMachineAPI]], ...] = ((BlockNumber(0), CancunVM),)

    def create_header_from_parent(
        self, parent_header: BlockHeaderAPI, **header_params: Any
    ) -> BlockHeaderAPI:
        # py-evm would steer the gas limit towards its own target block after block.
        header_params.setdefault("gas_limit", parent_header.gas_limit)
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> type[TransactionBuilderAPI]:
        # eth-tester builds unsigned transactions (eth_call, eth_estimateGas) through this.
        return self.get_vm().get_transaction_builder()


class _PersistentBackend(PyEVMBackend):
    """eth-tester's py-evm backend over a persisted chain, committing once per mined block.

    ``PyEVMBackend.__init__`` builds a fresh in-memory chain, so it is bypassed: this backend is handed
    the chain it serves, has no accounts of its own (callers sign locally) and refuses to reset.
    """

    def __init__(self, chain: _EmbeddedMiningChain, buffer: WriteBuffer) -> None:
        self.chain = chain
        self.account_keys: tuple[Any, ...] = ()
        self._buffer = buffer

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "the embedded chain is persistent and cannot be reset to genesis; "
            "close it and delete its directory to start over"
        )

    def _stamp_pending_header(self) -> None:
        """Give the block being built the current time, unless transactions already ran at its time.

        py-evm stamps the next header when the previous block is mined, which may be long ago.
        """
        header = self.chain.header
        if header.transaction_root != BLANK_ROOT_HASH:
            return
        now = _wall_clock()
        if now > header.timestamp:
            self.chain.header = header.copy(timestamp=now)

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        self._check_chain_id(raw_transaction)
        self._stamp_pending_header()
        return super().send_raw_transaction(raw_transaction)

    def _check_chain_id(self, raw_transaction: bytes) -> None:
        """Refuse transactions signed for another chain, which py-evm itself would happily mine.

        Without this, a transaction signed for any chain id (or for none, before EIP-155) would be
        replayable here. Blob transactions are refused too: SeBRUS has no use for them.
        """
        if raw_transaction[:1] == _BLOB_TRANSACTION_TYPE:
            raise ValidationError("blob transactions (type 3) are not supported on the embedded chain")
        transaction = self.chain.get_vm().get_transaction_builder().decode(raw_transaction)
        if transaction.chain_id != EMBEDDED_CHAIN_ID:
            signed_for = "no chain id" if transaction.chain_id is None else f"chain id {transaction.chain_id}"
            raise ValidationError(
                f"transaction is signed for {signed_for}; the embedded chain's id is {EMBEDDED_CHAIN_ID}"
            )

    def send_signed_transaction(
        self, signed_transaction: dict[str, Any], block_number: Any = "latest"
    ) -> bytes:
        self._stamp_pending_header()
        return super().send_signed_transaction(signed_transaction, block_number)

    def send_transaction(self, transaction: dict[str, Any]) -> bytes:
        self._stamp_pending_header()
        return super().send_transaction(transaction)

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = _ZERO_ADDRESS) -> tuple[bytes, ...]:
        block_hashes: list[bytes] = []
        for _ in range(num_blocks):
            self._stamp_pending_header()
            block_hashes.extend(super().mine_blocks(1, coinbase))
            self._buffer.flush()
        return tuple(block_hashes)

    def revert_to_snapshot(self, snapshot: bytes) -> None:
        super().revert_to_snapshot(snapshot)
        self._buffer.flush()

    def call(self, transaction: dict[str, Any], block_number: Any = "latest") -> bytes:
        """eth-tester's ``call`` (same state, gas default and message), raising :class:`CallFailed`."""
        defaulted = dict(transaction)
        if "gas" not in defaulted:
            defaulted["gas"] = self._max_available_gas()
        unsigned = self._get_normalized_and_unsigned_evm_transaction(defaulted, block_number)
        # Signed in form only: a spoof stands in for a signature from ``from`` (py-evm's eth_call device).
        spoofed = cast(SignedTransactionAPI, SpoofTransaction(unsigned, from_=transaction["from"]))
        header = self._header_for_call(block_number)
        if _offers_no_fee(transaction):
            # As geth runs such a call: no base fee, so that any sender may read without ether.
            header = header.copy(base_fee_per_gas=0)
        state = self.chain.get_vm(at_header=header).state
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(spoofed)
        finally:
            state.revert(snapshot)
        if computation.is_error:
            error = computation.error
            message = str(error)
            if self.is_eip838_error(error):
                with contextlib.suppress(DecodingError):
                    (message,) = abi_decode(["string"], error.args[0][4:])
            raise CallFailed(message, error)
        return bytes(computation.output)

    def _header_for_call(self, block_number: Any) -> BlockHeaderAPI:
        """The header a call runs on, chosen as eth-tester chooses it (the pending block is the head)."""
        pending = self.chain.get_block()
        if block_number in ("latest", "safe", "finalized"):
            return self.chain.get_canonical_block_header_by_number(BlockNumber(max(0, pending.number - 1)))
        if block_number == "earliest":
            return self.chain.get_canonical_block_header_by_number(BlockNumber(0))
        if block_number == "pending":
            return pending.header
        if isinstance(block_number, int) and 0 <= block_number < pending.number:
            return self.chain.get_canonical_block_header_by_number(BlockNumber(block_number))
        raise BlockNotFound(f"No block found for block number: {block_number}")

    def next_base_fee(self) -> int:
        """The base fee per gas of the block being built: what the next transaction pays at least."""
        return int(self.chain.header.base_fee_per_gas or 0)

    def logs_between(
        self, first: int, last: int, addresses: Sequence[bytes], topics: Sequence[Sequence[bytes] | None]
    ) -> list[LogEntry]:
        """The logs of canonical blocks ``first`` to ``last`` that match, read from py-evm directly.

        eth-tester's ``get_logs`` serialises and validates every block and receipt (about 20 ms a block);
        here a block whose header bloom cannot match is skipped on its header alone, and only the
        receipts of the others are decoded. ``addresses`` empty means any; ``topics[i]`` None means any.
        """
        found: list[LogEntry] = []
        for number in range(first, last + 1):
            header = self.chain.get_canonical_block_header_by_number(BlockNumber(number))
            if not _bloom_may_match(header.bloom, addresses, topics):
                continue
            block = self.chain.get_block_by_header(header)
            log_index = 0
            for index, (tx, receipt) in enumerate(
                zip(block.transactions, block.get_receipts(self.chain.chaindb), strict=True)
            ):
                for log in receipt.logs:
                    if _log_matches(log.address, log.topics, addresses, topics):
                        found.append(
                            LogEntry(
                                address=bytes(log.address),
                                topics=tuple(t.to_bytes(32, "big") for t in log.topics),
                                data=bytes(log.data),
                                block_number=number,
                                block_hash=bytes(header.hash),
                                transaction_hash=bytes(tx.hash),
                                transaction_index=index,
                                log_index=log_index,
                            )
                        )
                    log_index += 1
        return found

    def block_fees(self, number: int, *, with_tips: bool) -> BlockFees:
        """Canonical block ``number``'s fees; its transactions' effective tips only if ``with_tips``."""
        header = self.chain.get_canonical_block_header_by_number(BlockNumber(number))
        base_fee = int(header.base_fee_per_gas or 0)
        tips: list[tuple[int, int]] = []
        if with_tips:
            block = self.chain.get_block_by_header(header)
            before = 0
            for tx, receipt in zip(block.transactions, block.get_receipts(self.chain.chaindb), strict=True):
                tip = min(int(tx.max_priority_fee_per_gas), int(tx.max_fee_per_gas) - base_fee)
                tips.append((max(tip, 0), int(receipt.gas_used) - before))
                before = int(receipt.gas_used)
        return BlockFees(number, base_fee, int(header.gas_used), int(header.gas_limit), tuple(tips))

    def _locate_transaction(self, transaction_hash: bytes) -> tuple[BlockAPI, SignedTransactionAPI, int]:
        if self.chain.header.transaction_root != BLANK_ROOT_HASH:
            pending = self.chain.get_block()
            for index, transaction in enumerate(pending.transactions):
                if transaction.hash == transaction_hash:
                    return pending, transaction, index
        try:
            block_number, index = self.chain.chaindb.get_transaction_index(Hash32(transaction_hash))
        except EVMTransactionNotFound:
            raise TransactionNotFound(f"no transaction with hash {encode_hex(transaction_hash)}") from None
        block = self.chain.get_canonical_block_by_number(block_number)
        return block, block.transactions[index], index

    def get_transaction_by_hash(self, transaction_hash: bytes) -> dict[str, Any]:
        block, transaction, index = self._locate_transaction(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any]:
        block, transaction, index = self._locate_transaction(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, transaction, index, is_pending, self.chain.get_vm()
        )


def _bloom_may_match(
    bloom: int, addresses: Sequence[bytes], topics: Sequence[Sequence[bytes] | None]
) -> bool:
    """False only when the header's bloom proves that no log of the block can match the filter."""
    if bloom == 0:
        return False  # no logs at all
    present = BloomFilter(bloom)
    if addresses and not any(a in present for a in addresses):
        return False
    return all(wanted is None or any(t in present for t in wanted) for wanted in topics)


def _log_matches(
    address: bytes,
    log_topics: Sequence[int],
    addresses: Sequence[bytes],
    topics: Sequence[Sequence[bytes] | None],
) -> bool:
    if addresses and bytes(address) not in addresses:
        return False
    if len(topics) > len(log_topics):
        return False
    return all(
        wanted is None or log_topic.to_bytes(32, "big") in wanted
        for wanted, log_topic in zip(topics, log_topics, strict=False)
    )


def _offers_no_fee(transaction: dict[str, Any]) -> bool:
    """A call that explicitly offers zero fees (the JSON-RPC endpoint's call without fee fields)."""
    fees = [transaction.get(k) for k in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas")]
    return any(f is not None for f in fees) and not any(fees)


class _SerialisedTesterProvider(EthereumTesterProvider):
    """Serves one request at a time, and none once the chain is closed.

    py-evm and eth-tester keep the block being built in plain attributes and are not thread-safe,
    while a web server calls the ledger from many threads at once.
    """

    def __init__(self, chain: EmbeddedChain, api_endpoints: dict[str, dict[str, Any]]) -> None:
        super().__init__(ethereum_tester=chain.tester, api_endpoints=api_endpoints)
        self._chain = chain

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._chain.lock:
            if self._chain.closed:
                raise RuntimeError(f"the embedded chain in {self._chain.chain_dir} is closed")
            return super().make_request(method, params)


class EmbeddedChain:
    """An open embedded chain: an auto-mining :class:`EthereumTester` plus the LevelDB lock it holds.

    Talk to it through :meth:`web3_provider`, which takes :attr:`lock` for every request; code that
    calls :attr:`tester` directly from several threads must hold :attr:`lock` itself. Close the chain
    (or use it as a context manager) so another process can open the directory.
    """

    def __init__(self, chain_dir: Path, tester: EthereumTester, buffer: WriteBuffer, store: LevelDB) -> None:
        self.chain_dir = chain_dir
        self.tester = tester
        self.lock = threading.RLock()
        self._buffer = buffer
        self._store = store

    @property
    def chain_id(self) -> int:
        return EMBEDDED_CHAIN_ID

    @property
    def closed(self) -> bool:
        return self._store.closed

    @contextlib.contextmanager
    def serving(self) -> Iterator[EthereumTester]:
        """The tester, with :attr:`lock` held, for code that calls it directly; refused once closed."""
        with self.lock:
            if self.closed:
                raise RuntimeError(f"the embedded chain in {self.chain_dir} is closed")
            yield self.tester

    @property
    def reader(self) -> _PersistentBackend:
        """py-evm reads eth-tester does slowly (logs, fees, the next base fee); hold :attr:`lock`."""
        backend = self.tester.backend
        assert isinstance(backend, _PersistentBackend)
        return backend

    def web3_provider(self) -> EthereumTesterProvider:
        """A web3 provider over this chain that reports the real chain id (see the module docstring)."""
        from web3.providers.eth_tester.defaults import API_ENDPOINTS

        endpoints = {namespace: dict(methods) for namespace, methods in API_ENDPOINTS.items()}
        endpoints["eth"]["chainId"] = lambda *_args, **_kwargs: EMBEDDED_CHAIN_ID
        endpoints["net"]["version"] = lambda *_args, **_kwargs: str(EMBEDDED_CHAIN_ID)
        return _SerialisedTesterProvider(self, endpoints)

    def close(self) -> None:
        """Write out anything still buffered and release the directory. Safe to call twice."""
        with self.lock:
            if self._store.closed:
                return
            try:
                self._buffer.flush()
            finally:
                self._store.close()

    def __enter__(self) -> EmbeddedChain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"EmbeddedChain({str(self.chain_dir)!r}, {state})"


def open_embedded_tester(
    chain_dir: Path,
    *,
    funded_accounts: Sequence[str] = (),
    initial_balance_wei: int = 10**24,
) -> EmbeddedChain:
    """Open the embedded chain in ``chain_dir``, creating its genesis block if the directory is new.

    ``funded_accounts`` (checksum addresses) each get ``initial_balance_wei`` in the genesis block.
    Both only matter the first time: a chain that exists already is reopened at its head as it is.
    Raises :class:`ChainLocked` if another process has the chain open and :class:`NotAnEmbeddedChain`
    if the directory holds some other database.
    """
    chain_dir = Path(chain_dir)
    genesis_state = _genesis_state(funded_accounts, initial_balance_wei)
    private_dir(chain_dir)  # LevelDB's files get the umask's 0644: the directory keeps them private
    try:
        store = LevelDB(chain_dir)
    except LevelDBLocked as error:
        raise ChainLocked(chain_dir) from error
    try:
        buffer = WriteBuffer(store)
        if store.is_empty():
            chain = _create_genesis(buffer, genesis_state)
        else:
            _check_marker(buffer, chain_dir)
            chain = _EmbeddedMiningChain(buffer)
        tester = EthereumTester(backend=_PersistentBackend(chain, buffer), auto_mine_transactions=True)
    except BaseException:
        store.close()
        raise
    return EmbeddedChain(chain_dir, tester, buffer, store)


def _genesis_state(funded_accounts: Sequence[str], initial_balance_wei: int) -> AccountState:
    if isinstance(funded_accounts, str):
        raise TypeError("funded_accounts must be a sequence of addresses, not a single string")
    if isinstance(initial_balance_wei, bool) or not isinstance(initial_balance_wei, int):
        raise TypeError(f"initial_balance_wei must be an int, got {type(initial_balance_wei).__name__}")
    if not 0 <= initial_balance_wei <= _MAX_UINT256:
        raise ValueError(f"initial_balance_wei must be between 0 and 2**256 - 1, got {initial_balance_wei}")
    state: AccountState = {}
    for address in funded_accounts:
        if not isinstance(address, str) or not is_checksum_address(address):
            raise ValueError(f"funded account {address!r} is not a checksum address")
        state[to_canonical_address(address)] = AccountDetails(
            balance=initial_balance_wei, nonce=0, code=b"", storage={}
        )
    return state


def _create_genesis(buffer: WriteBuffer, genesis_state: AccountState) -> _EmbeddedMiningChain:
    genesis_params: dict[str, HeaderParams] = {
        "coinbase": _ZERO_ADDRESS,
        "difficulty": POST_MERGE_DIFFICULTY,
        "extra_data": b"sebrus",
        "gas_limit": BLOCK_GAS_LIMIT,
        "mix_hash": POST_MERGE_MIX_HASH,
        "nonce": POST_MERGE_NONCE,
        "timestamp": _wall_clock(),
    }
    chain = _EmbeddedMiningChain.from_genesis(buffer, genesis_params, genesis_state)
    marker = {"format": _MARKER_FORMAT, "chain_id": EMBEDDED_CHAIN_ID}
    buffer[_MARKER_KEY] = json.dumps(marker, sort_keys=True).encode()
    # Genesis state, header and marker land together: a crash here leaves an empty directory.
    buffer.flush()
    assert isinstance(chain, _EmbeddedMiningChain)
    return chain


def _check_marker(buffer: WriteBuffer, chain_dir: Path) -> None:
    try:
        marker = json.loads(buffer[_MARKER_KEY])
    except KeyError:
        raise NotAnEmbeddedChain(f"{chain_dir} holds a LevelDB database that is not a SeBRUS chain") from None
    if marker.get("format") != _MARKER_FORMAT or marker.get("chain_id") != EMBEDDED_CHAIN_ID:
        raise NotAnEmbeddedChain(
            f"{chain_dir} holds an embedded chain of another format or chain id ({marker}); "
            f"this version expects format {_MARKER_FORMAT}, chain id {EMBEDDED_CHAIN_ID}"
        )
    try:
        _EmbeddedMiningChain.get_chaindb_class()(buffer).get_canonical_head()
    except CanonicalHeadNotFound:
        raise NotAnEmbeddedChain(f"{chain_dir} has a SeBRUS marker but no blocks") from None

"""The embedded chain as a standard Ethereum JSON-RPC endpoint, for wallets and outside clients.

With the embedded default the chain lives inside the server process, so MetaMask, ``sebrus verify
--chain-url`` or any web3 client have nothing to connect to unless the server answers for it. This
module serves the methods wallets and clients use over the SAME objects the platform uses (the
:class:`~sebrus.chain.embedded_store.EmbeddedChain` and the ledger's
:class:`~sebrus.chain.transactor.Transactor`); it never builds a second chain. No web framework
here: the API's ``/rpc`` router hands it bodies.

* Turns. Every call holds ``transactor.exclusive()`` and then the chain's lock, the order the
  platform's own sends take them, so a wallet's request never runs inside py-evm at the same time as
  one of ours, nor between our estimate, nonce and send. A raw transaction goes through
  :meth:`Transactor.send_raw`, which also keeps our nonce counters right if a wallet holds one of
  the server's own keys.
* No keys. Nothing here signs: ``eth_accounts`` is empty and ``eth_sendTransaction``, ``eth_sign*``
  and ``personal_*`` are refused by name. Transactions arrive signed (``eth_sendRawTransaction``)
  for this chain's id; the embedded backend refuses other chain ids.
* Reverts in ``eth_call`` and ``eth_estimateGas`` answer code 3 with the revert bytes in ``data``, as
  geth and anvil do, so clients decode custom errors exactly as they would from a node.
* Fees follow the platform's own: the tip is the fixed one the transactor pays on this chain, and
  ``eth_gasPrice`` is the next block's base fee plus that tip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Final

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_tester import EthereumTester
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound
from eth_utils import ValidationError

import sebrus
from sebrus.chain import rpc_encoding as enc
from sebrus.chain.embedded_store import BlockFees, CallFailed, EmbeddedChain
from sebrus.chain.errors import InvalidInput
from sebrus.chain.jsonrpc import (
    EXECUTION_REVERTED,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    SERVER_ERROR,
    Envelope,
    Method,
    RpcError,
    answer,
    arguments,
)
from sebrus.chain.reverts import ERROR_SELECTOR
from sebrus.chain.transactor import FIXED_PRIORITY_FEE, Transactor

MAX_BATCH: Final = 100  # requests in one batch
MAX_LOG_BLOCKS: Final = 2_000  # blocks one eth_getLogs may cover
BLOCKS_PER_TURN: Final = 50  # long reads hold the chain this many blocks at a time (about 0.2 s at most)
MAX_FEE_HISTORY_BLOCKS: Final = 1_024  # geth's bound
MAX_REWARD_PERCENTILES: Final = 100
ZERO_ADDRESS: Final = "0x" + "00" * 20

# Methods that would need the server to hold or unlock a key: refused by name, saying what to do.
KEY_METHODS: Final = frozenset(
    {
        "eth_sendTransaction",
        "eth_sign",
        "eth_signTransaction",
        "eth_signTypedData",
        "eth_signTypedData_v3",
        "eth_signTypedData_v4",
    }
)


class EmbeddedRpc:
    """The JSON-RPC methods over the embedded chain; :meth:`serve` answers one parsed body."""

    def __init__(
        self,
        chain: EmbeddedChain,
        transactor: Transactor,
        *,
        max_batch: int = MAX_BATCH,
        max_log_blocks: int = MAX_LOG_BLOCKS,
    ) -> None:
        self._chain = chain
        self._tx = transactor
        self.max_batch = max_batch
        self._max_log_blocks = max_log_blocks
        handlers: dict[str, Callable[..., Any]] = {
            "web3_clientVersion": self._client_version,
            "net_version": self._net_version,
            "net_listening": self._always(True),
            "eth_chainId": self._chain_id,
            "eth_syncing": self._always(False),
            "eth_accounts": self._always([]),
            "eth_blockNumber": self._block_number,
            "eth_gasPrice": self._gas_price,
            "eth_maxPriorityFeePerGas": self._always(enc.hex_quantity(FIXED_PRIORITY_FEE)),
            "eth_getBalance": self._get_balance,
            "eth_getCode": self._get_code,
            "eth_getTransactionCount": self._get_transaction_count,
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_sendRawTransaction": self._send_raw_transaction,
            "eth_getTransactionByHash": self._get_transaction_by_hash,
            "eth_getTransactionReceipt": self._get_transaction_receipt,
            "eth_getBlockByNumber": self._get_block_by_number,
            "eth_getBlockByHash": self._get_block_by_hash,
        }
        self._methods: dict[str, Method] = {name: partial(self._in_turn, fn) for name, fn in handlers.items()}
        # Long reads take the chain in several short turns themselves.
        self._methods.update(eth_feeHistory=self._fee_history, eth_getLogs=self._get_logs)

    def serve(self, envelope: Envelope) -> dict[str, Any] | list[dict[str, Any]] | None:
        """The answer to a parsed body (see :func:`sebrus.chain.jsonrpc.answer`)."""
        return answer(envelope, self._methods, _missing)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[EthereumTester]:
        """The chain to ourselves: the transactor's turn, then the chain's lock (the platform's order)."""
        with self._tx.exclusive(), self._chain.serving() as tester:
            yield tester

    def _in_turn(self, handler: Callable[..., Any], params: Sequence[Any]) -> Any:
        with self._turn() as tester:
            return handler(tester, params)

    # ------------------------------------------------------------------ node facts

    @staticmethod
    def _always(value: Any) -> Callable[..., Any]:
        def constant(_tester: Any, params: Sequence[Any]) -> Any:
            arguments(params, 0)
            return value

        return constant

    def _client_version(self, _tester: Any, params: Sequence[Any]) -> str:
        arguments(params, 0)
        return f"SeBRUS/v{sebrus.__version__}/embedded-py-evm"

    def _net_version(self, _tester: Any, params: Sequence[Any]) -> str:
        arguments(params, 0)
        return str(self._chain.chain_id)

    def _chain_id(self, _tester: Any, params: Sequence[Any]) -> str:
        arguments(params, 0)
        return enc.hex_quantity(self._chain.chain_id)

    def _block_number(self, tester: Any, params: Sequence[Any]) -> str:
        arguments(params, 0)
        return enc.hex_quantity(self._head(tester))

    @staticmethod
    def _head(tester: Any) -> int:
        return int(tester.get_block_by_number("latest")["number"])

    # ------------------------------------------------------------------ fees

    def _gas_price(self, _tester: Any, params: Sequence[Any]) -> str:
        arguments(params, 0)
        return enc.hex_quantity(self._chain.reader.next_base_fee() + FIXED_PRIORITY_FEE)

    def _fee_history(self, params: Sequence[Any]) -> dict[str, Any]:
        raw_count, raw_newest, raw_percentiles = arguments(params, 2, 1)
        wanted = enc.count(raw_count, "blockCount")
        percentiles = _percentiles(raw_percentiles)
        if wanted > MAX_FEE_HISTORY_BLOCKS:
            raise enc.invalid(f"blockCount is at most {MAX_FEE_HISTORY_BLOCKS}")
        newest_id = enc.block_id(raw_newest, "newestBlock")
        with self._turn() as tester:
            head = self._head(tester)
            newest = self._block_number_of(newest_id, head)
        oldest = max(0, newest - wanted + 1)
        numbers = list(range(oldest, newest + 1)) if wanted else []
        blocks = []
        for chunk in _chunks(numbers, BLOCKS_PER_TURN):  # a long history takes the chain in short turns
            with self._turn():
                blocks += [self._chain.reader.block_fees(n, with_tips=bool(percentiles)) for n in chunk]
        history: dict[str, Any] = {
            "oldestBlock": enc.hex_quantity(oldest if blocks else newest),
            "baseFeePerGas": [enc.hex_quantity(b.base_fee) for b in blocks],
            "gasUsedRatio": [b.gas_used / b.gas_limit for b in blocks],
        }
        if blocks:
            with self._turn():
                after = (
                    self._chain.reader.next_base_fee()
                    if newest == head
                    else self._chain.reader.block_fees(newest + 1, with_tips=False).base_fee
                )
            history["baseFeePerGas"].append(enc.hex_quantity(after))
        if percentiles:
            history["reward"] = [[enc.hex_quantity(t) for t in _rewards(b, percentiles)] for b in blocks]
        return history

    @staticmethod
    def _block_number_of(block: int | str, head: int) -> int:
        if isinstance(block, int):
            if block > head:
                raise RpcError(SERVER_ERROR, f"block {block} is past the head ({head})")
            return block
        return 0 if block == "earliest" else head

    # ------------------------------------------------------------------ accounts

    def _get_balance(self, tester: Any, params: Sequence[Any]) -> str:
        account, block = arguments(params, 1, 1)
        return enc.hex_quantity(
            int(self._read(tester.get_balance, enc.address(account, "address"), self._state_block(block)))
        )

    def _get_code(self, tester: Any, params: Sequence[Any]) -> str:
        account, block = arguments(params, 1, 1)
        return str(self._read(tester.get_code, enc.address(account, "address"), self._state_block(block)))

    def _get_transaction_count(self, tester: Any, params: Sequence[Any]) -> str:
        account, block = arguments(params, 1, 1)
        return enc.hex_quantity(
            int(self._read(tester.get_nonce, enc.address(account, "address"), self._state_block(block)))
        )

    @staticmethod
    def _state_block(raw: Any) -> int | str:
        # The embedded chain mines on send: the pending state is the latest one.
        block = enc.block_id(raw)
        return "latest" if block == "pending" else block

    @staticmethod
    def _read(read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except BlockNotFound as exc:
            raise RpcError(SERVER_ERROR, f"header not found: {exc}") from exc

    # ------------------------------------------------------------------ calls

    def _call(self, tester: Any, params: Sequence[Any]) -> str:
        raw_tx, block, overrides = arguments(params, 1, 2)
        _no_overrides(overrides)
        tx = _with_sender(enc.call_object(raw_tx))
        try:
            return str(tester.call(tx, self._state_block(block)))
        except CallFailed as failure:
            if failure.reverted:
                raise _revert_error(failure.revert_data) from failure
            raise RpcError(SERVER_ERROR, failure.vm_error) from failure
        except (ValidationError, BlockNotFound) as exc:
            raise RpcError(SERVER_ERROR, str(exc)) from exc

    def _estimate_gas(self, tester: Any, params: Sequence[Any]) -> str:
        raw_tx, block, overrides = arguments(params, 1, 2)
        _no_overrides(overrides)
        tx = _with_sender(enc.call_object(raw_tx))
        tx.pop("gas", None)  # eth-tester searches from the block's limit
        try:
            return enc.hex_quantity(int(tester.estimate_gas(tx, self._state_block(block))))
        except TransactionFailed as failure:
            cause = failure.args[0] if failure.args else None
            payload = getattr(cause, "args", ())
            if payload and isinstance(payload[0], bytes | bytearray):
                raise _revert_error(bytes(payload[0])) from failure
            raise RpcError(
                SERVER_ERROR, f"gas required exceeds allowance or always failing: {cause}"
            ) from failure
        except (ValidationError, BlockNotFound) as exc:
            raise RpcError(SERVER_ERROR, str(exc)) from exc

    # ------------------------------------------------------------------ transactions

    def _send_raw_transaction(self, _tester: Any, params: Sequence[Any]) -> str:
        (raw,) = arguments(params, 1)
        payload = bytes.fromhex(enc.data(raw, "transaction")[2:])
        if not payload:
            raise enc.invalid("the transaction is empty")
        try:
            return self._tx.send_raw(payload)
        except InvalidInput as exc:
            raise enc.invalid(str(exc)) from exc
        except ValidationError as exc:  # nonce, funds, gas, chain id: nothing was mined
            raise RpcError(SERVER_ERROR, str(exc)) from exc

    def _get_transaction_by_hash(self, tester: Any, params: Sequence[Any]) -> dict[str, Any] | None:
        (digest,) = arguments(params, 1)
        try:
            return enc.encode_transaction(tester.get_transaction_by_hash(enc.hash32(digest, "hash")))
        except TransactionNotFound:
            return None

    def _get_transaction_receipt(self, tester: Any, params: Sequence[Any]) -> dict[str, Any] | None:
        (digest,) = arguments(params, 1)
        try:
            receipt = tester.get_transaction_receipt(enc.hash32(digest, "hash"))
        except TransactionNotFound:
            return None
        return None if receipt.get("block_number") is None else enc.encode_receipt(receipt)

    # ------------------------------------------------------------------ blocks and logs

    def _get_block_by_number(self, tester: Any, params: Sequence[Any]) -> dict[str, Any] | None:
        raw_block, full = arguments(params, 2)
        block = enc.block_id(raw_block)
        try:
            found = tester.get_block_by_number(
                "latest" if block == "pending" else block, enc.boolean(full, "full")
            )
        except BlockNotFound:
            return None
        return enc.encode_block(found)

    def _get_block_by_hash(self, tester: Any, params: Sequence[Any]) -> dict[str, Any] | None:
        digest, full = arguments(params, 2)
        try:
            found = tester.get_block_by_hash(enc.hash32(digest, "hash"), enc.boolean(full, "full"))
        except BlockNotFound:
            return None
        return enc.encode_block(found)

    def _get_logs(self, params: Sequence[Any]) -> list[dict[str, Any]]:
        (raw_filter,) = arguments(params, 1)
        query = enc.log_filter(raw_filter)
        with self._turn() as tester:
            head = self._head(tester)
        first = self._block_number_of(query.from_block, head)
        last = self._block_number_of(query.to_block, head)
        if last - first + 1 > self._max_log_blocks:
            raise RpcError(
                LIMIT_EXCEEDED,
                f"query covers {last - first + 1} blocks; ask for at most {self._max_log_blocks}",
            )
        found: list[dict[str, Any]] = []
        # Blocks below the head never change (the embedded chain does not reorganise), so a long range
        # is read in short turns and the platform's own sends are not held up behind it.
        for chunk in _chunks(list(range(first, last + 1)), BLOCKS_PER_TURN):
            with self._turn():
                entries = self._chain.reader.logs_between(chunk[0], chunk[-1], query.addresses, query.topics)
            found += [enc.encode_log_entry(e) for e in entries]
        return found


def _missing(method: str) -> RpcError:
    if method in KEY_METHODS or method.startswith("personal_"):
        return RpcError(
            METHOD_NOT_FOUND,
            f"{method} is not available: this endpoint holds and unlocks no keys; "
            "sign in your wallet and send with eth_sendRawTransaction",
        )
    return RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")


def _no_overrides(overrides: Any) -> None:
    if overrides is not None:
        raise enc.invalid("state overrides are not served here")


def _with_sender(tx: dict[str, Any]) -> dict[str, Any]:
    """eth-tester needs a sender; a node calls from the zero address when none is given."""
    tx.setdefault("from", ZERO_ADDRESS)
    return tx


def _revert_error(revert: bytes) -> RpcError:
    """Code 3 with the revert bytes, worded as geth words it (with the reason of ``Error(string)``)."""
    message = "execution reverted"
    if revert[:4] == ERROR_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], revert[4:])
            message = f"execution reverted: {reason}"
        except DecodingError:
            pass
    return RpcError(EXECUTION_REVERTED, message, "0x" + revert.hex())


def _percentiles(raw: Any) -> list[float]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_REWARD_PERCENTILES:
        raise enc.invalid(f"rewardPercentiles must be an array of at most {MAX_REWARD_PERCENTILES} numbers")
    values: list[float] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise enc.invalid("each reward percentile is a number from 0 to 100")
        if values and value < values[-1]:
            raise enc.invalid("reward percentiles must not decrease")
        values.append(float(value))
    return values


def _rewards(block: BlockFees, percentiles: list[float]) -> list[int]:
    """The block's effective tips at each percentile, weighted by gas used (geth's rule)."""
    if not block.tips:
        return [0] * len(percentiles)
    tips = sorted(block.tips)
    total = sum(used for _tip, used in tips) or 1
    rewards: list[int] = []
    index, cumulative = 0, tips[0][1]
    for percentile in percentiles:
        threshold = total * percentile / 100
        while cumulative < threshold and index < len(tips) - 1:
            index += 1
            cumulative += tips[index][1]
        rewards.append(tips[index][0])
    return rewards


def _chunks(numbers: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(numbers), size):
        yield numbers[start : start + size]

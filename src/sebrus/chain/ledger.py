"""The typed ledger: every read and write SeBRUS makes on its contracts.

One class serves both backends. The embedded py-evm chain and a JSON-RPC node differ only in how
the ``Web3`` object is built and in whether calls must be serialised (eth-tester is not
thread-safe), so that is all the backends configure.

Transactions are signed locally with eth-account and sent raw with an explicit gas limit on the hot
paths: gas estimation costs about 19 ms a call on py-evm, as much as the transaction itself. When a
transaction reverts, it is replayed as a call against the state it ran on to recover the contract's
custom error.
"""

from __future__ import annotations

import ast
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_tester.exceptions import TransactionNotFound as TesterTransactionNotFound
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TransactionNotFound,
)
from web3.types import TxReceipt

from sebrus.chain.artifacts import custom_errors, load_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.signing import sign_contribution
from sebrus.chain.types import (
    ChainEvent,
    ChainItem,
    DatasetInfo,
    Deployment,
    ExternalTx,
    ItemStatus,
    SignedSubmission,
    Submission,
    TxResult,
    UnsignedCall,
)
from sebrus.chain.validation import checked_address, checked_hash, checked_label

MAX_BATCH = 256  # Dataset.MAX_BATCH
SIGNATURE_TTL_SECONDS = 3600

# Gas limits for the hot paths, set from measured use with headroom (see tests/chain). Unused gas
# is refunded, so generous limits cost nothing but block space.
GAS_SUBMIT = 120_000
GAS_SUBMIT_FOR = 140_000
GAS_BATCH_BASE = 60_000
GAS_BATCH_PER_ITEM = 32_000
GAS_BATCH_PER_SIGNED_ITEM = 14_000
GAS_PER_PAYLOAD_BYTE = 48
GAS_QUARANTINE = 80_000
GAS_RESOLVE = 80_000
GAS_TRANSFER = 21_000
UNKNOWN_TX_GRACE_SECONDS = 15.0  # how long a hash the node never heard of may take to arrive

_REVERTS = (ContractCustomError, ContractPanicError, ContractLogicError, TransactionFailed)
_NOT_FOUND = (TransactionNotFound, TesterTransactionNotFound)

ROLE_IDS = {
    "admin": bytes(32),
    "detector": keccak(text="DETECTOR_ROLE"),
    "resolver": keccak(text="RESOLVER_ROLE"),
}


class _Nonces:
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


class Ledger:
    def __init__(
        self,
        w3: Web3,
        deployment: Deployment | None = None,
        *,
        serialize: bool = False,
        receipt_timeout: float = 120.0,
        poll_latency: float = 0.1,
    ) -> None:
        self.w3 = w3
        if not w3.eth.default_account:
            # Reads need some `from`; the persistent embedded chain has no unlocked accounts.
            w3.eth.default_account = "0x" + "00" * 20  # type: ignore[assignment]
        self._deployment = deployment
        self._serial = threading.RLock() if serialize else None
        self._receipt_timeout = receipt_timeout
        self._poll_latency = poll_latency
        self._chain_id: int | None = None
        self._nonces = _Nonces(lambda a: int(self.w3.eth.get_transaction_count(a, "pending")))  # type: ignore[arg-type]
        self._dataset_abi = load_artifact("Dataset").abi
        self._manager_abi = load_artifact("DatasetManager").abi
        self._dataset_proto = w3.eth.contract(abi=self._dataset_abi)
        # Other adapters' contracts (the review network) add their events: register_event_source.
        self._extra_sources: dict[str, tuple[list[dict[str, Any]], Callable[[str], bool]]] = {}
        self._topics = self._event_topics()
        self._datasets_cache: dict[str, DatasetInfo] = {}
        self._contracts: dict[str, Contract] = {}
        self._known_datasets: dict[str, int] = {}  # address -> index in the manager, in creation order
        self._fee_cache: tuple[float, int] = (0.0, 0)

    # ------------------------------------------------------------------ basics

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._serial is None:
            yield
        else:
            with self._serial:
                yield

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with self._exclusive():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise NotDeployed("the SeBRUS contracts are not deployed on this chain; run `sebrus chain init`")
        return self._deployment

    @property
    def is_deployed(self) -> bool:
        return self._deployment is not None

    def block_number(self) -> int:
        with self._exclusive():
            return int(self.w3.eth.block_number)

    def balance(self, address: str) -> int:
        account = checked_address(address)
        with self._exclusive():
            return int(self.w3.eth.get_balance(account))  # type: ignore[arg-type]

    def transact(
        self, sender: LocalAccount, *, to: str | None = None, data: bytes | str = b"", gas: int | None = None
    ) -> TxResult:
        """Send an arbitrary transaction; for tools and benchmarks that drive other contracts."""
        tx: dict[str, Any] = {"data": data if isinstance(data, str) else "0x" + data.hex()}
        if to is not None:
            tx["to"] = checked_address(to, "recipient")
        if gas is not None:
            tx["gas"] = gas
        return self._transact(sender, tx)

    def created_address(self, result: TxResult) -> str:
        """The contract a deployment transaction created."""
        return self._created_address(result)

    def transfer(self, sender: LocalAccount, to: str, value_wei: int) -> TxResult:
        if value_wei <= 0:
            raise InvalidInput("a transfer must move a positive amount of wei")
        tx: dict[str, Any] = {"to": checked_address(to, "recipient"), "value": value_wei, "gas": GAS_TRANSFER}
        return self._transact(sender, tx)

    # ------------------------------------------------------------------ transactions other keys sign

    def pending_nonce(self, address: str) -> int:
        """The next nonce of ``address`` as the node counts it, for a wallet that signs elsewhere."""
        account = checked_address(address)
        with self._exclusive():
            return int(self.w3.eth.get_transaction_count(account, "pending"))  # type: ignore[arg-type]

    def fee_suggestion(self) -> dict[str, int]:
        """The EIP-1559 fees this ledger pays now (``maxFeePerGas``, ``maxPriorityFeePerGas``)."""
        with self._exclusive():
            return dict(self._fees())

    def send_raw_transaction(self, raw: bytes | str) -> str:
        """Send a transaction signed elsewhere and return its hash.

        Our nonce counters are not involved: they belong to the accounts this ledger signs for."""
        if isinstance(raw, str):
            try:
                raw = bytes.fromhex(raw.removeprefix("0x"))
            except ValueError:
                raise InvalidInput("a raw transaction is hex") from None
        if not raw:
            raise InvalidInput("a raw transaction cannot be empty")
        with self._exclusive():
            tx_hash = self.w3.eth.send_raw_transaction(raw)
        return "0x" + bytes(tx_hash).hex()

    def simulate(self, sender: str, call: UnsignedCall) -> None:
        """Run ``call`` as ``sender`` would send it, on the latest state, without sending anything.

        A wallet pays gas even for a transaction that reverts, so the server asks first: the
        contract's refusal arrives as ``ContractReverted``, as it would from the transaction."""
        params = {
            "from": checked_address(sender, "sender"),
            "to": call.to,
            "data": "0x" + call.data.hex(),
            "value": call.value_wei,
            "gas": call.gas,
        }
        try:
            with self._exclusive():
                self.w3.eth.call(params)  # type: ignore[arg-type]
        except _REVERTS as exc:
            raise _reverted(exc, None) from exc
        except Exception as exc:  # e.g. the node refuses a call whose value exceeds the balance
            raise LedgerError(f"the node could not try the transaction: {exc}") from exc

    def wait_external(self, tx_hash: str, timeout: float | None = None) -> ExternalTx:
        """Wait for a transaction someone else sent, then decode it like one of ours.

        Refused with ``InvalidInput`` when the node does not know the hash. A revert is replayed as
        a call on the state it ran on (as for our own transactions) and returned in ``reverted``
        rather than raised, so that the caller can first check whose transaction it was."""
        digest = checked_hash(tx_hash, "transaction hash")
        shown = "0x" + digest.hex()
        receipt = self._external_receipt(digest, shown, self._receipt_timeout if timeout is None else timeout)
        with self._exclusive():
            tx = self.w3.eth.get_transaction(digest)  # type: ignore[arg-type]
            events = tuple(e for e in (self._decode_log(log) for log in receipt["logs"]) if e is not None)
        sender = to_checksum_address(tx["from"])
        to = to_checksum_address(tx["to"]) if tx.get("to") else None
        data = tx.get("input", b"")
        call = {
            "to": to,
            "data": data if isinstance(data, str) else "0x" + bytes(data).hex(),
            "value": int(tx.get("value", 0)),
            "gas": int(tx.get("gas", 0)),
        }
        reverted = None if receipt["status"] == 1 else self._revert_reason(sender, call, receipt, shown)
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

    def _external_receipt(self, digest: bytes, shown: str, timeout: float) -> TxReceipt:
        started = time.monotonic()
        while True:
            with self._exclusive():
                try:
                    return self.w3.eth.get_transaction_receipt(digest)  # type: ignore[arg-type]
                except _NOT_FOUND:
                    pass
                try:
                    self.w3.eth.get_transaction(digest)  # type: ignore[arg-type]
                    known = True
                except _NOT_FOUND:
                    known = False
            waited = time.monotonic() - started
            # The embedded chain mines on send; a node may need a moment to hear of a wallet's send.
            if not known and (self._serial is not None or waited >= min(timeout, UNKNOWN_TX_GRACE_SECONDS)):
                raise InvalidInput(f"transaction {shown} is not known to this chain's node")
            if waited >= timeout:
                raise LedgerError(f"transaction {shown} was not mined within {timeout:.0f} s")
            time.sleep(self._poll_latency)

    # ------------------------------------------------------------------ deployment

    def deploy(self, deployer: LocalAccount) -> Deployment:
        """Deploy the Dataset implementation and the DatasetManager that clones it."""
        implementation = load_artifact("Dataset")
        manager = load_artifact("DatasetManager")
        impl_factory = self.w3.eth.contract(abi=implementation.abi, bytecode=implementation.bytecode)
        impl_result = self._transact(deployer, {"data": impl_factory.constructor().data_in_transaction})
        impl_address = self._created_address(impl_result)
        mgr_factory = self.w3.eth.contract(abi=manager.abi, bytecode=manager.bytecode)
        mgr_result = self._transact(
            deployer, {"data": mgr_factory.constructor(impl_address).data_in_transaction}
        )
        self._deployment = Deployment(
            chain_id=self.chain_id,
            manager=self._created_address(mgr_result),
            dataset_implementation=impl_address,
            deployer=deployer.address,
            block_number=mgr_result.block_number,
        )
        return self.deploy_release_registry(deployer)

    def deploy_release_registry(self, deployer: LocalAccount) -> Deployment:
        """Add the ReleaseRegistry to this deployment; also for chains deployed before it existed."""
        registry = load_artifact("ReleaseRegistry")
        factory = self.w3.eth.contract(abi=registry.abi, bytecode=registry.bytecode)
        result = self._transact(deployer, {"data": factory.constructor().data_in_transaction})
        self._deployment = replace(self.deployment, release_registry=self._created_address(result))
        return self._deployment

    @staticmethod
    def _call_tx(to: str, fn: Any, gas: int | None = None) -> dict[str, Any]:
        """A transaction calling ``fn`` on ``to``; without ``gas`` it is estimated (cold paths only)."""
        tx: dict[str, Any] = {"to": to, "data": fn._encode_transaction_data()}
        if gas is not None:
            tx["gas"] = gas
        return tx

    def _created_address(self, result: TxResult) -> str:
        with self._exclusive():
            receipt = self.w3.eth.get_transaction_receipt(result.tx_hash)  # type: ignore[arg-type]
        address = receipt["contractAddress"]
        if address is None:
            raise LedgerError(f"transaction {result.tx_hash} created no contract")
        return str(address)

    def _manager(self) -> Contract:
        return self._contract(self.deployment.manager, self._manager_abi)

    def _dataset(self, address: str) -> Contract:
        return self._contract(address, self._dataset_abi)

    def _contract(self, address: str, abi: list[dict[str, Any]]) -> Contract:
        # Building a web3 Contract costs about 20 ms, more than sending a transaction.
        contract = self._contracts.get(address)
        if contract is None:
            contract = self.w3.eth.contract(address=address, abi=abi)  # type: ignore[call-overload]
            self._contracts[address] = contract
        return contract

    # ------------------------------------------------------------------ datasets

    def create_dataset(
        self,
        owner: LocalAccount,
        *,
        name: str,
        description: str,
        labels: Sequence[str],
        payload_on_chain: bool = False,
        detector: str | None = None,
    ) -> DatasetInfo:
        labels = tuple(labels)
        if not name.strip():
            raise InvalidInput("a dataset needs a name")
        if not labels:
            raise InvalidInput("a dataset needs at least one label")
        if len(set(labels)) != len(labels):
            raise InvalidInput("labels must be distinct")
        for label in labels:
            if not 0 < len(label.encode()) <= 64:
                raise InvalidInput(f"label {label!r} must be 1 to 64 bytes long")
        if len(labels) > 1024:
            raise InvalidInput(f"a dataset may have at most 1024 labels, got {len(labels)}")
        detector_address = checked_address(detector, "detector") if detector else "0x" + "00" * 20
        call = self._manager().functions.createDataset(
            name, description, list(labels), payload_on_chain, detector_address
        )
        result = self._transact(owner, self._call_tx(self.deployment.manager, call))
        created = [e for e in result.events if e.name == "DatasetCreated"]
        if not created:
            raise LedgerError(f"createDataset in {result.tx_hash} emitted no DatasetCreated event")
        address = str(created[0].args["dataset"])
        self._refresh_known_datasets()
        return self.dataset(address)

    def dataset_count(self) -> int:
        with self._exclusive():
            return int(self._manager().functions.getDatasetCount().call())

    def dataset_address(self, index: int) -> str:
        if index < 0:
            raise InvalidInput(f"dataset index must not be negative, got {index}")
        return str(self._call(self._manager().functions.getDataset(index)))

    def datasets(self) -> list[DatasetInfo]:
        return [self.dataset(self.dataset_address(i)) for i in range(self.dataset_count())]

    def dataset(self, address: str) -> DatasetInfo:
        """The dataset at ``address``; refused with InvalidInput if the manager never created it."""
        info = self._static_info(address)
        item_count = int(self._call(self._dataset(info.address).functions.itemCount()))
        return DatasetInfo(**{**info.__dict__, "item_count": item_count})

    def _static_info(self, address: str) -> DatasetInfo:
        """What never changes about a dataset, read once; ``item_count`` here is stale."""
        address = self._require_dataset(address)
        cached = self._datasets_cache.get(address)
        if cached is not None:
            return cached
        contract = self._dataset(address)
        with self._exclusive():
            cached = DatasetInfo(
                index=self._dataset_index(address),
                address=address,
                name=contract.functions.name().call(),
                description=contract.functions.description().call(),
                owner=contract.functions.owner().call(),
                labels=tuple(contract.functions.labels().call()),
                payload_on_chain=bool(contract.functions.payloadOnChain().call()),
                item_count=0,
            )
        self._datasets_cache[address] = cached
        return cached

    def _dataset_index(self, address: str) -> int:
        # Scanning DatasetCreated logs costs milliseconds per block on py-evm; the manager's own
        # list, read once per new dataset, does not grow with the chain.
        if address not in self._known_datasets:
            self._refresh_known_datasets()
        if address not in self._known_datasets:
            raise InvalidInput(f"{address} is not a dataset of this platform")
        return self._known_datasets[address]

    def _require_dataset(self, address: str) -> str:
        address = checked_address(address, "dataset address")
        if address in self._known_datasets:
            return address
        self._refresh_known_datasets()
        if address not in self._known_datasets:
            raise InvalidInput(f"unknown dataset: {address} was not created by the DatasetManager")
        return address

    def _refresh_known_datasets(self) -> None:
        count = self.dataset_count()
        for index in range(len(self._known_datasets), count):
            self._known_datasets[self.dataset_address(index)] = index

    def grant_role(self, admin: LocalAccount, dataset: str, role: str, account: str) -> TxResult:
        role_id = self._role_id(role)
        address = self._require_dataset(dataset)
        call = self._dataset(address).functions.grantRole(role_id, checked_address(account))
        return self._transact(admin, self._call_tx(address, call))

    def has_role(self, dataset: str, role: str, account: str) -> bool:
        contract = self._dataset(self._require_dataset(dataset))
        return bool(self._call(contract.functions.hasRole(self._role_id(role), checked_address(account))))

    @staticmethod
    def _role_id(role: str) -> bytes:
        try:
            return ROLE_IDS[role]
        except KeyError:
            raise InvalidInput(f"unknown role {role!r}; expected one of {sorted(ROLE_IDS)}") from None

    # ------------------------------------------------------------------ contributions

    def sign_contribution(
        self,
        signer: LocalAccount,
        dataset: str,
        content_hash: bytes | str,
        label: int | str,
        *,
        deadline: int | None = None,
        payload: bytes = b"",
    ) -> SignedSubmission:
        info = self._static_info(dataset)
        digest = checked_hash(content_hash)
        index = checked_label(label, info.labels)
        deadline = deadline if deadline is not None else int(time.time()) + SIGNATURE_TTL_SECONDS
        signature = sign_contribution(
            signer,
            chain_id=self.chain_id,
            dataset=info.address,
            content_hash=digest,
            label=index,
            deadline=deadline,
        )
        return SignedSubmission(digest, index, signer.address, deadline, signature, payload)

    def submit(
        self,
        contributor: LocalAccount,
        dataset: str,
        content_hash: bytes | str,
        label: int | str,
        payload: bytes = b"",
    ) -> TxResult:
        info = self._static_info(dataset)
        item = self._checked_submission(info, Submission(checked_hash(content_hash), 0, payload), label)
        call = self._dataset(info.address).functions.submit(item.content_hash, item.label, item.payload)
        gas = GAS_SUBMIT + GAS_PER_PAYLOAD_BYTE * len(payload)
        return self._transact(contributor, self._call_tx(info.address, call, gas))

    def submit_for(self, relayer: LocalAccount, dataset: str, signed: SignedSubmission) -> TxResult:
        info = self._static_info(dataset)
        checked = self._checked_signed(info, signed)
        call = self._dataset(info.address).functions.submitFor(self._signed_tuple(checked), checked.payload)
        gas = GAS_SUBMIT_FOR + GAS_PER_PAYLOAD_BYTE * len(checked.payload)
        return self._transact(relayer, self._call_tx(info.address, call, gas))

    def submit_batch(
        self, contributor: LocalAccount, dataset: str, submissions: Sequence[Submission]
    ) -> TxResult:
        info = self._static_info(dataset)
        self._check_batch_size(len(submissions))
        items = [self._checked_submission(info, s, s.label) for s in submissions]
        self._check_no_repeats([i.content_hash for i in items])
        payloads = [i.payload for i in items] if info.payload_on_chain else []
        call = self._dataset(info.address).functions.submitBatch(
            [(i.content_hash, i.label) for i in items], payloads
        )
        gas = (
            GAS_BATCH_BASE + len(items) * GAS_BATCH_PER_ITEM + GAS_PER_PAYLOAD_BYTE * sum(map(len, payloads))
        )
        return self._transact(contributor, self._call_tx(info.address, call, gas))

    def submit_batch_for(
        self, relayer: LocalAccount, dataset: str, signed: Sequence[SignedSubmission]
    ) -> TxResult:
        info = self._static_info(dataset)
        self._check_batch_size(len(signed))
        items = [self._checked_signed(info, s) for s in signed]
        self._check_no_repeats([i.content_hash for i in items])
        payloads = [i.payload for i in items] if info.payload_on_chain else []
        call = self._dataset(info.address).functions.submitBatchFor(
            [self._signed_tuple(i) for i in items], payloads
        )
        per_item = GAS_BATCH_PER_ITEM + GAS_BATCH_PER_SIGNED_ITEM
        gas = GAS_BATCH_BASE + len(items) * per_item + GAS_PER_PAYLOAD_BYTE * sum(map(len, payloads))
        return self._transact(relayer, self._call_tx(info.address, call, gas))

    def _checked_submission(self, info: DatasetInfo, item: Submission, label: int | str) -> Submission:
        index = checked_label(label, info.labels)
        digest = checked_hash(item.content_hash)
        self._check_payload(info, digest, item.payload)
        return Submission(digest, index, item.payload)

    def _checked_signed(self, info: DatasetInfo, signed: SignedSubmission) -> SignedSubmission:
        checked_label(signed.label, info.labels)
        digest = checked_hash(signed.content_hash)
        contributor = checked_address(signed.contributor, "contributor")
        if len(signed.signature) != 65:
            raise InvalidInput(f"a contribution signature is 65 bytes, got {len(signed.signature)}")
        if signed.deadline < int(time.time()):
            raise InvalidInput(f"the contribution signature expired at {signed.deadline}")
        self._check_payload(info, digest, signed.payload)
        return SignedSubmission(
            digest, signed.label, contributor, signed.deadline, signed.signature, signed.payload
        )

    @staticmethod
    def _check_payload(info: DatasetInfo, digest: bytes, payload: bytes) -> None:
        import hashlib

        if info.payload_on_chain:
            if not payload:
                raise InvalidInput(
                    f"dataset {info.name!r} stores images on chain: the image bytes are required"
                )
            if hashlib.sha256(payload).digest() != digest:
                raise InvalidInput("the image bytes do not hash to the content hash")
        elif payload:
            raise InvalidInput(f"dataset {info.name!r} does not store images on chain: send only the hash")

    @staticmethod
    def _check_batch_size(size: int) -> None:
        if size == 0:
            raise InvalidInput("a batch needs at least one item")
        if size > MAX_BATCH:
            raise InvalidInput(f"a batch holds at most {MAX_BATCH} items, got {size}")

    @staticmethod
    def _check_no_repeats(hashes: list[bytes]) -> None:
        if len(set(hashes)) != len(hashes):
            raise InvalidInput("the batch holds the same content hash twice")

    @staticmethod
    def _signed_tuple(s: SignedSubmission) -> tuple[bytes, int, str, int, bytes]:
        return (s.content_hash, s.label, s.contributor, s.deadline, s.signature)

    # ------------------------------------------------------------------ judgement

    def quarantine(
        self, detector: LocalAccount, dataset: str, content_hash: bytes | str, report_hash: bytes | str
    ) -> TxResult:
        address = self._require_dataset(dataset)
        call = self._dataset(address).functions.quarantine(
            checked_hash(content_hash), checked_hash(report_hash, "report hash")
        )
        return self._transact(detector, self._call_tx(address, call, GAS_QUARANTINE))

    def resolve(
        self, resolver: LocalAccount, dataset: str, content_hash: bytes | str, approved: bool
    ) -> TxResult:
        address = self._require_dataset(dataset)
        call = self._dataset(address).functions.resolve(checked_hash(content_hash), bool(approved))
        return self._transact(resolver, self._call_tx(address, call, GAS_RESOLVE))

    # ------------------------------------------------------------------ reads

    def get_item(self, dataset: str, content_hash: bytes | str) -> ChainItem | None:
        address = self._require_dataset(dataset)
        digest = checked_hash(content_hash)
        contract = self._dataset(address)
        try:
            contributor, submitted_at, label, status = self._call(contract.functions.getItem(digest))
        except ContractReverted as refused:
            if refused.error == "UnknownItem":
                return None
            raise
        return ChainItem(address, digest, str(contributor), int(label), int(submitted_at), ItemStatus(status))

    def events(
        self, from_block: int = 0, to_block: int | None = None, *, names: Sequence[str] | None = None
    ) -> list[ChainEvent]:
        """Decoded SeBRUS events in chain order, from the manager and every dataset it created."""
        if from_block < 0:
            raise InvalidInput("from_block must not be negative")
        topics = [
            t for t, kinds in self._topics.items() if names is None or any(e in names for _, e in kinds)
        ]
        if not topics:
            return []
        params: dict[str, Any] = {
            "fromBlock": from_block,
            "toBlock": to_block if to_block is not None else "latest",
            "topics": [["0x" + t.hex() for t in topics]],
        }
        with self._exclusive():
            logs = self.w3.eth.get_logs(params)  # type: ignore[arg-type]
        decoded = [e for e in (self._decode_log(log) for log in logs) if e is not None]
        decoded.sort(key=lambda e: e.position)
        return decoded

    def register_event_source(
        self, source: str, abi: list[dict[str, Any]], owns: Callable[[str], bool]
    ) -> None:
        """Decode another adapter's contract events too, in ``events()`` and in ``TxResult.events``.

        ``owns(address)`` says whether a log's (checksummed) address is one of that source's contracts;
        it is asked only for logs whose signature the source declares. The review network uses this, so
        that the ledger itself needs no knowledge of its contracts.
        """
        if source in ("Dataset", "DatasetManager"):
            raise InvalidInput(f"{source} is the ledger's own event source")
        self._extra_sources[source] = (abi, owns)
        self._topics = self._event_topics()

    def _event_topics(self) -> dict[bytes, list[tuple[str, str]]]:
        """Each event signature's topic, with every (source, event name) that declares it.

        One signature can belong to several sources (AccessControl's RoleGranted, for one).
        """
        sources = [("Dataset", self._dataset_abi), ("DatasetManager", self._manager_abi)]
        sources += [(name, abi) for name, (abi, _) in self._extra_sources.items()]
        topics: dict[bytes, list[tuple[str, str]]] = {}
        for source, abi in sources:
            for entry in abi:
                if entry.get("type") == "event":
                    signature = f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"
                    topics.setdefault(keccak(text=signature), []).append((source, entry["name"]))
        return topics

    def _decode_log(self, log: Any) -> ChainEvent | None:
        if not log["topics"]:
            return None
        key = bytes(log["topics"][0])
        address = to_checksum_address(log["address"])
        candidates = (
            (name, self._event_contract(source, address)) for source, name in self._topics.get(key, ())
        )
        found = next(((name, contract) for name, contract in candidates if contract is not None), None)
        if found is None:
            return None
        name, contract = found
        processed = contract.events[name]().process_log(log)
        return ChainEvent(
            name=name,
            address=address,
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            args={k: _plain(v) for k, v in processed["args"].items()},
        )

    def _event_contract(self, source: str, address: str) -> Contract | None:
        """The contract to decode ``source``'s event with, if ``address`` is one of that source's."""
        if source == "DatasetManager":
            if self._deployment is None or address != self._deployment.manager:
                return None
            return self._manager()
        if source == "Dataset":
            if address not in self._known_datasets:
                self._refresh_known_datasets_unlocked()
                if address not in self._known_datasets:
                    return None
            return self._dataset(address)
        abi, owns = self._extra_sources[source]
        return self._contract(address, abi) if owns(address) else None

    def _refresh_known_datasets_unlocked(self) -> None:
        if self._deployment is not None:
            self._refresh_known_datasets()

    # ------------------------------------------------------------------ plumbing

    def _call(self, fn: Any) -> Any:
        try:
            with self._exclusive():
                return fn.call()
        except _REVERTS as exc:
            raise _reverted(exc, None) from exc

    def _fees(self) -> dict[str, int]:
        stamp, base = self._fee_cache
        if time.monotonic() - stamp > 2.0:
            block = self.w3.eth.get_block("latest")
            base = int(block.get("baseFeePerGas", 0) or 0)
            self._fee_cache = (time.monotonic(), base)
        tip = 1_000_000_000
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def _transact(self, sender: LocalAccount, tx: dict[str, Any]) -> TxResult:
        """Sign and send ``tx`` from ``sender``, wait for its receipt, and decode its events."""
        tx = dict(tx)
        tx.pop("from", None)
        lock = self._nonces.lock_for(sender.address)
        with self._exclusive():
            if "gas" not in tx:
                estimate = self.w3.eth.estimate_gas({**tx, "from": sender.address})  # type: ignore[typeddict-item]
                tx["gas"] = int(estimate * 1.2) + 10_000
            tx.update(self._fees())
            tx["chainId"] = self.chain_id
            with lock:
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
            raise self._revert_reason(sender.address, tx, receipt, result_hash)
        with self._exclusive():
            events = tuple(e for e in (self._decode_log(log) for log in receipt["logs"]) if e is not None)
        return TxResult(result_hash, int(receipt["blockNumber"]), int(receipt["gasUsed"]), events)

    def _wait(self, tx_hash: Any) -> TxReceipt:
        with self._exclusive():
            if self._serial is not None:  # embedded: mined on send
                return self.w3.eth.get_transaction_receipt(tx_hash)
        return self.w3.eth.wait_for_transaction_receipt(
            tx_hash, timeout=self._receipt_timeout, poll_latency=self._poll_latency
        )

    def _revert_reason(self, sender: str, tx: Any, receipt: TxReceipt, tx_hash: str) -> LedgerError:
        call = {"from": sender, "to": tx.get("to"), "data": tx.get("data", "0x"), "value": tx.get("value", 0)}
        block = int(receipt["blockNumber"])
        for at in (block - 1, "latest"):
            try:
                with self._exclusive():
                    self.w3.eth.call(call, block_identifier=at)  # type: ignore[arg-type]
            except _REVERTS as exc:
                return _reverted(exc, tx_hash)
            except Exception:  # noqa: S112 - some nodes cannot replay history; try the next state
                continue
        if int(receipt["gasUsed"]) >= int(tx.get("gas", 0)):
            return LedgerError(f"transaction {tx_hash} ran out of gas (limit {tx.get('gas')})")
        return LedgerError(f"transaction {tx_hash} reverted without a reason")


def _revert_data(exc: Exception) -> bytes:
    """The raw revert bytes, from web3's exceptions (rpc) or eth-tester's message (embedded)."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    message = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if message.startswith(prefix) and message[len(prefix) :].startswith(("b'", 'b"')):
        # eth-tester renders the revert bytes as a Python bytes literal; literal_eval only
        # parses literals, it never runs code.
        value = ast.literal_eval(message[len(prefix) :])
        return value if isinstance(value, bytes) else b""
    return b""


def _reverted(exc: Exception, tx_hash: str | None) -> ContractReverted:
    raw = _revert_data(exc)
    selector, body = raw[:4], raw[4:]
    if selector == bytes.fromhex("08c379a0"):
        (message,) = abi_decode(["string"], body)
        return ContractReverted("Error", {"message": message}, tx_hash)
    if selector == bytes.fromhex("4e487b71"):
        (code,) = abi_decode(["uint256"], body)
        return ContractReverted("Panic", {"code": code}, tx_hash)
    known = custom_errors().get(selector)
    if known is None:
        return ContractReverted("Unknown", {"data": "0x" + raw.hex(), "message": str(exc)}, tx_hash)
    name, inputs = known
    values = abi_decode([i["type"] for i in inputs], body)
    arguments = {
        i["name"]: to_checksum_address(v) if i["type"] == "address" else _plain(v)
        for i, v in zip(inputs, values, strict=True)
    }
    return ContractReverted(name, arguments, tx_hash)


def _abi_type(param: dict[str, Any]) -> str:
    """The canonical ABI type, spelling tuples (structs) out as their components."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

"""The Dataset domain: SeBRUS's datasets, contributions and judgements as typed Python.

What it means to create a dataset, submit (alone, in a batch, or relayed with the contributor's
signature), quarantine and resolve, and which checks run before anything is sent (``InvalidInput``:
nothing was sent). How a transaction is signed, paid for, sent, waited on and decoded is the
:class:`~sebrus.chain.transactor.Transactor`'s job, which the review network, the release registry
and the revocations registry share through :attr:`Ledger.transactor`; wallets that sign elsewhere
go through :attr:`Ledger.external`.

One class serves both backends. The embedded py-evm chain and a JSON-RPC node differ only in how
the ``Web3`` object is built and in whether calls must be serialised (eth-tester is not
thread-safe), so that is all the backends configure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.creation_gas import labels_that_fit, predicted_creation_gas
from sebrus.chain.errors import ContractReverted, CreationTooExpensive, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.external import ExternalTransactions
from sebrus.chain.reverts import RevertReader
from sebrus.chain.signing import sign_contribution
from sebrus.chain.transactor import Transactor
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
from sebrus.chain.validation import (
    check_batch_size,
    check_no_repeats,
    checked_address,
    checked_dataset_labels,
    checked_hash,
    checked_label,
    checked_signed,
    checked_submission,
)
from sebrus.primitives import DATASET_MAX_BATCH

MAX_BATCH = DATASET_MAX_BATCH  # the relayer and the revocation batches size by this name
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

ROLE_IDS = {
    "admin": bytes(32),
    "detector": keccak(text="DETECTOR_ROLE"),
    "resolver": keccak(text="RESOLVER_ROLE"),
}

OWN_SOURCES = ("Dataset", "DatasetManager")


class Ledger:
    """Every read and write on the DatasetManager and its datasets."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment | None = None,
        *,
        serialize: bool = False,
        receipt_timeout: float = 120.0,
        poll_latency: float = 0.1,
        revert_reader: RevertReader | None = None,
    ) -> None:
        self.transactor = Transactor(
            w3,
            serialize=serialize,
            receipt_timeout=receipt_timeout,
            poll_latency=poll_latency,
            revert_reader=revert_reader,
        )
        self.external = ExternalTransactions(self.transactor)
        self._deployment = deployment
        self._dataset_abi = load_artifact("Dataset").abi
        self._manager_abi = load_artifact("DatasetManager").abi
        self._datasets_cache: dict[str, DatasetInfo] = {}
        self._known_datasets: dict[str, int] = {}  # address -> index in the manager, in creation order
        # Registered first, so these are tried first for a topic several sources declare.
        self.transactor.events.register("Dataset", self._dataset_abi, self._owns_dataset)
        self.transactor.events.register("DatasetManager", self._manager_abi, self._owns_manager)

    # ------------------------------------------------------------------ basics

    @property
    def w3(self) -> Web3:
        return self.transactor.w3

    @property
    def chain_id(self) -> int:
        return self.transactor.chain_id

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise NotDeployed("the SeBRUS contracts are not deployed on this chain; run `sebrus chain init`")
        return self._deployment

    @property
    def is_deployed(self) -> bool:
        return self._deployment is not None

    def block_number(self) -> int:
        return self.transactor.block_number()

    def balance(self, address: str) -> int:
        return self.transactor.balance(address)

    def transact(
        self, sender: LocalAccount, *, to: str | None = None, data: bytes | str = b"", gas: int | None = None
    ) -> TxResult:
        """Send an arbitrary transaction; for tools and benchmarks that drive other contracts."""
        return self.transactor.transact(sender, to=to, data=data, gas=gas)

    def created_address(self, result: TxResult) -> str:
        """The contract a deployment transaction created."""
        return self.transactor.created_address(result)

    def transfer(self, sender: LocalAccount, to: str, value_wei: int) -> TxResult:
        return self.transactor.transfer(sender, to, value_wei)

    # ------------------------------------------------------------------ transactions other keys sign

    def pending_nonce(self, address: str) -> int:
        return self.external.pending_nonce(address)

    def fee_suggestion(self) -> dict[str, int]:
        return self.external.fee_suggestion()

    def send_raw_transaction(self, raw: bytes | str) -> str:
        return self.external.send_raw_transaction(raw)

    def simulate(self, sender: str, call: UnsignedCall) -> None:
        self.external.simulate(sender, call)

    def wait_external(self, tx_hash: str, timeout: float | None = None) -> ExternalTx:
        return self.external.wait(tx_hash, timeout)

    # ------------------------------------------------------------------ deployment

    def deploy(self, deployer: LocalAccount) -> Deployment:
        """Deploy the Dataset implementation and the DatasetManager that clones it."""
        impl_address, _ = self.transactor.deploy(deployer, "Dataset")
        manager, result = self.transactor.deploy(deployer, "DatasetManager", impl_address)
        self._deployment = Deployment(
            chain_id=self.chain_id,
            manager=manager,
            dataset_implementation=impl_address,
            deployer=deployer.address,
            block_number=result.block_number,
        )
        self.deploy_release_registry(deployer)
        return self.deploy_federation_log(deployer)

    def deploy_release_registry(self, deployer: LocalAccount) -> Deployment:
        """Add the ReleaseRegistry to this deployment; also for chains deployed before it existed."""
        registry, _ = self.transactor.deploy(deployer, "ReleaseRegistry")
        self._deployment = replace(self.deployment, release_registry=registry)
        return self._deployment

    def deploy_federation_log(self, deployer: LocalAccount) -> Deployment:
        """Add the FederationLog to this deployment; also for chains deployed before it existed."""
        log, _ = self.transactor.deploy(deployer, "FederationLog")
        self._deployment = replace(self.deployment, federation_log=log)
        return self._deployment

    def _manager(self) -> Contract:
        return self.transactor.contract(self.deployment.manager, self._manager_abi)

    def _dataset(self, address: str) -> Contract:
        return self.transactor.contract(address, self._dataset_abi)

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
        max_gas: int | None = None,
    ) -> DatasetInfo:
        """Create a dataset clone. Its gas grows with the labels, name and description, so it is
        checked first against ``max_gas`` (None: no bound of our own) and 90% of the block gas limit:
        too much is refused with ``CreationTooExpensive``, saying how many labels fit."""
        labels = checked_dataset_labels(name, labels)
        detector_address = checked_address(detector, "detector") if detector else "0x" + "00" * 20
        args = (name, description, list(labels), payload_on_chain, detector_address)
        gas = self._creation_gas(owner, args, max_gas)
        result = self.transactor.send(owner, self._manager(), "createDataset", args, gas=gas)
        created = [e for e in result.events if e.name == "DatasetCreated"]
        if not created:
            raise LedgerError(f"createDataset in {result.tx_hash} emitted no DatasetCreated event")
        address = str(created[0].args["dataset"])
        self._refresh_known_datasets()
        return self.dataset(address)

    def creation_gas_bound(self, max_gas: int | None = None) -> int:
        """The most gas a dataset's creation may use: ``max_gas``, and never more than 90% of a block
        (a transaction near the block limit waits for an empty block, and the estimate may be short)."""
        ceiling = self.transactor.block_gas_limit() * 9 // 10
        return ceiling if max_gas is None else min(max_gas, ceiling)

    def estimate_creation_gas(
        self, owner: LocalAccount, name: str, description: str, labels: Sequence[str], detector: str
    ) -> int | None:
        """The node's estimate for creating this dataset (None: it would fail, e.g. beyond a block)."""
        args = (name, description, list(labels), False, checked_address(detector, "detector"))
        return self.transactor.estimate(owner, self._manager(), "createDataset", args)

    def _creation_gas(self, owner: LocalAccount, args: tuple[Any, ...], max_gas: int | None) -> int:
        """The gas limit to send ``createDataset(*args)`` with, after refusing what exceeds the bound:
        first by the model (no chain time spent), then by the node's own estimate."""
        name, description, labels = args[0], args[1], args[2]
        bound = self.creation_gas_bound(max_gas)
        block_limit = self.transactor.block_gas_limit()

        def refuse(gas: int) -> CreationTooExpensive:
            fits = labels_that_fit(name, description, labels, bound)
            return CreationTooExpensive(gas, bound, block_limit, len(labels), fits)

        predicted = predicted_creation_gas(name, description, labels)
        if predicted > bound:
            raise refuse(predicted)
        estimate = self.transactor.estimate(owner, self._manager(), "createDataset", args)
        if estimate is None:
            raise LedgerError("the chain refused to estimate createDataset; it would revert")
        if estimate > bound:
            raise refuse(estimate)
        return min(int(estimate * 1.2) + 10_000, block_limit)

    def dataset_count(self) -> int:
        with self.transactor.exclusive():
            return int(self._manager().functions.getDatasetCount().call())

    def dataset_address(self, index: int) -> str:
        if index < 0:
            raise InvalidInput(f"dataset index must not be negative, got {index}")
        return str(self.transactor.call(self._manager().functions.getDataset(index)))

    def datasets(self) -> list[DatasetInfo]:
        return [self.dataset(self.dataset_address(i)) for i in range(self.dataset_count())]

    def dataset(self, address: str) -> DatasetInfo:
        """The dataset at ``address``; refused with InvalidInput if the manager never created it."""
        info = self._static_info(address)
        item_count = int(self.transactor.call(self._dataset(info.address).functions.itemCount()))
        return DatasetInfo(**{**info.__dict__, "item_count": item_count})

    def _static_info(self, address: str) -> DatasetInfo:
        """What never changes about a dataset, read once; ``item_count`` here is stale."""
        address = self.require_dataset(address)
        cached = self._datasets_cache.get(address)
        if cached is not None:
            return cached
        contract = self._dataset(address)
        with self.transactor.exclusive():
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

    def require_dataset(self, address: str) -> str:
        """``address`` checksummed; refused with InvalidInput unless the DatasetManager created it."""
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
        contract = self._dataset(self.require_dataset(dataset))
        return self.transactor.send(admin, contract, "grantRole", (role_id, checked_address(account)))

    def revoke_role(self, admin: LocalAccount, dataset: str, role: str, account: str) -> TxResult:
        """Take ``role`` from ``account`` (the dataset's admin only). Revoking a review's resolver role
        freezes its deciding votes; Review (since version 2) then lets stalled rounds expire."""
        role_id = self._role_id(role)
        contract = self._dataset(self.require_dataset(dataset))
        return self.transactor.send(admin, contract, "revokeRole", (role_id, checked_address(account)))

    def has_role(self, dataset: str, role: str, account: str) -> bool:
        contract = self._dataset(self.require_dataset(dataset))
        return bool(
            self.transactor.call(contract.functions.hasRole(self._role_id(role), checked_address(account)))
        )

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
        item = checked_submission(info, Submission(checked_hash(content_hash), 0, payload), label)
        args = (item.content_hash, item.label, item.payload)
        gas = GAS_SUBMIT + GAS_PER_PAYLOAD_BYTE * len(payload)
        return self.transactor.send(contributor, self._dataset(info.address), "submit", args, gas=gas)

    def submit_for(self, relayer: LocalAccount, dataset: str, signed: SignedSubmission) -> TxResult:
        info = self._static_info(dataset)
        checked = checked_signed(info, signed)
        args = (self._signed_tuple(checked), checked.payload)
        gas = GAS_SUBMIT_FOR + GAS_PER_PAYLOAD_BYTE * len(checked.payload)
        return self.transactor.send(relayer, self._dataset(info.address), "submitFor", args, gas=gas)

    def submit_batch(
        self, contributor: LocalAccount, dataset: str, submissions: Sequence[Submission]
    ) -> TxResult:
        info = self._static_info(dataset)
        check_batch_size(len(submissions), MAX_BATCH)
        items = [checked_submission(info, s, s.label) for s in submissions]
        check_no_repeats([i.content_hash for i in items])
        payloads = [i.payload for i in items] if info.payload_on_chain else []
        args = ([(i.content_hash, i.label) for i in items], payloads)
        gas = (
            GAS_BATCH_BASE + len(items) * GAS_BATCH_PER_ITEM + GAS_PER_PAYLOAD_BYTE * sum(map(len, payloads))
        )
        return self.transactor.send(contributor, self._dataset(info.address), "submitBatch", args, gas=gas)

    def submit_batch_for(
        self, relayer: LocalAccount, dataset: str, signed: Sequence[SignedSubmission]
    ) -> TxResult:
        info = self._static_info(dataset)
        check_batch_size(len(signed), MAX_BATCH)
        items = [checked_signed(info, s) for s in signed]
        check_no_repeats([i.content_hash for i in items])
        payloads = [i.payload for i in items] if info.payload_on_chain else []
        args = ([self._signed_tuple(i) for i in items], payloads)
        per_item = GAS_BATCH_PER_ITEM + GAS_BATCH_PER_SIGNED_ITEM
        gas = GAS_BATCH_BASE + len(items) * per_item + GAS_PER_PAYLOAD_BYTE * sum(map(len, payloads))
        return self.transactor.send(relayer, self._dataset(info.address), "submitBatchFor", args, gas=gas)

    @staticmethod
    def _signed_tuple(s: SignedSubmission) -> tuple[bytes, int, str, int, bytes]:
        return (s.content_hash, s.label, s.contributor, s.deadline, s.signature)

    # ------------------------------------------------------------------ judgement

    def quarantine(
        self, detector: LocalAccount, dataset: str, content_hash: bytes | str, report_hash: bytes | str
    ) -> TxResult:
        contract = self._dataset(self.require_dataset(dataset))
        args = (checked_hash(content_hash), checked_hash(report_hash, "report hash"))
        return self.transactor.send(detector, contract, "quarantine", args, gas=GAS_QUARANTINE)

    def resolve(
        self, resolver: LocalAccount, dataset: str, content_hash: bytes | str, approved: bool
    ) -> TxResult:
        contract = self._dataset(self.require_dataset(dataset))
        args = (checked_hash(content_hash), bool(approved))
        return self.transactor.send(resolver, contract, "resolve", args, gas=GAS_RESOLVE)

    # ------------------------------------------------------------------ reads

    def get_item(self, dataset: str, content_hash: bytes | str) -> ChainItem | None:
        address = self.require_dataset(dataset)
        digest = checked_hash(content_hash)
        contract = self._dataset(address)
        try:
            contributor, submitted_at, label, status = self.transactor.call(
                contract.functions.getItem(digest)
            )
        except ContractReverted as refused:
            if refused.error == "UnknownItem":
                return None
            raise
        return ChainItem(address, digest, str(contributor), int(label), int(submitted_at), ItemStatus(status))

    # ------------------------------------------------------------------ events

    def events(
        self, from_block: int = 0, to_block: int | None = None, *, names: Sequence[str] | None = None
    ) -> list[ChainEvent]:
        """Decoded SeBRUS events in chain order, from the manager, every dataset it created, and every
        registered source (:meth:`register_event_source`)."""
        if from_block < 0:
            raise InvalidInput("from_block must not be negative")
        return self.transactor.find_events(from_block, to_block, names)

    def register_event_source(
        self, source: str, abi: list[dict[str, Any]], owns: Callable[[str], bool]
    ) -> None:
        """Decode another adapter's contract events too, in ``events()`` and in ``TxResult.events``.

        ``owns(address)`` says whether a log's (checksummed) address is one of that source's contracts;
        it is asked only for logs whose signature the source declares. The review network uses this, so
        that the ledger itself needs no knowledge of its contracts.
        """
        if source in OWN_SOURCES:
            raise InvalidInput(f"{source} is the ledger's own event source")
        self.transactor.events.register(source, abi, owns)

    def _owns_manager(self, address: str) -> bool:
        return self._deployment is not None and address == self._deployment.manager

    def _owns_dataset(self, address: str) -> bool:
        if address not in self._known_datasets and self._deployment is not None:
            self._refresh_known_datasets()
        return address in self._known_datasets

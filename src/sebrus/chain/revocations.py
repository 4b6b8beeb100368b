"""Contributor revocations on chain: the ``Revocations`` registry beside every dataset.

A wrapper over :class:`~sebrus.chain.ledger.Ledger` (sending through its transactor, so signing, nonces
and revert decoding are shared),
like the release registry. The registry is deployed the first time an owner revokes someone, and its
address is kept in ``$SEBRUS_DATA_DIR/deployments/<chain id>-revocations.json``, so chains deployed
before revocations existed need nothing else. Why a separate contract: see ``contracts/Revocations.sol``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.deployments import read_json, revocations_path
from sebrus.chain.errors import ContractReverted, InvalidInput, NotDeployed
from sebrus.chain.ledger import Ledger
from sebrus.chain.types import TxResult
from sebrus.chain.validation import checked_address, checked_hash
from sebrus.primitives import atomic_write_json

MAX_BATCH = 256  # Revocations.MAX_BATCH
GAS_REVOKE = 90_000
GAS_REINSTATE = 60_000
GAS_PER_ITEM = 16_000  # one getItem call and one event; measured about 10k
GAS_BATCH_BASE = 60_000


class RevocationLedger:
    """Writes and reads of the Revocations registry; every method names a dataset by its address."""

    def __init__(self, ledger: Ledger, data_dir: Path) -> None:
        self.ledger = ledger
        self._tx = ledger.transactor
        self._path = revocations_path(data_dir, ledger.chain_id)
        self._abi = load_artifact("Revocations").abi
        self._address = self._load()
        self._deploy_lock = threading.Lock()
        ledger.register_event_source("Revocations", self._abi, lambda a: a == self._address)

    # ------------------------------------------------------------------ deployment

    @property
    def address(self) -> str:
        if self._address is None:
            raise NotDeployed("the Revocations registry is not deployed on this chain yet")
        return self._address

    @property
    def is_deployed(self) -> bool:
        return self._address is not None

    def ensure_deployed(self, deployer: LocalAccount) -> str:
        """Deploy the registry unless this chain has it; idempotent and safe across threads."""
        with self._deploy_lock:
            if self._address is not None:
                return self._address
            address, result = self._tx.deploy(deployer, "Revocations")
            self._save(address, result.block_number)
            self._address = address
            return address

    def _load(self) -> str | None:
        record = read_json(self._path)
        if record is None:
            return None
        address = str(record["address"])
        return address if self._tx.has_code(address) else None  # a reset node: deploy again when needed

    def _save(self, address: str, block: int) -> None:
        record = {"chain_id": self.ledger.chain_id, "address": address, "block_number": block}
        atomic_write_json(self._path, record, indent=None)

    def _registry(self) -> Contract:
        return self._tx.contract(self.address, self._abi)

    # ------------------------------------------------------------------ writes (the dataset's admin)

    def revoke(
        self, admin: LocalAccount, dataset: str, contributor: str, reason_hash: bytes | str
    ) -> TxResult:
        address = self.ledger.require_dataset(dataset)
        args = (
            address,
            checked_address(contributor, "contributor"),
            checked_hash(reason_hash, "reason hash"),
        )
        return self._tx.send(admin, self._registry(), "revoke", args, gas=GAS_REVOKE)

    def requarantine(
        self,
        admin: LocalAccount,
        dataset: str,
        contributor: str,
        content_hashes: Sequence[bytes | str],
        reason_hash: bytes | str,
    ) -> TxResult:
        """One ``ItemRequarantined`` event per item; at most :data:`MAX_BATCH` items per call."""
        address = self.ledger.require_dataset(dataset)
        hashes = self._checked_batch(content_hashes)
        args = (
            address,
            checked_address(contributor, "contributor"),
            hashes,
            checked_hash(reason_hash, "reason hash"),
        )
        gas = GAS_BATCH_BASE + GAS_PER_ITEM * len(hashes)
        return self._tx.send(admin, self._registry(), "requarantine", args, gas=gas)

    def clear(
        self,
        admin: LocalAccount,
        dataset: str,
        content_hashes: Sequence[bytes | str],
        report_hash: bytes | str,
    ) -> TxResult:
        address = self.ledger.require_dataset(dataset)
        hashes = self._checked_batch(content_hashes)
        args = (address, hashes, checked_hash(report_hash, "report hash"))
        gas = GAS_BATCH_BASE + (GAS_PER_ITEM + 25_000) * len(hashes)  # plus one fresh slot per item
        return self._tx.send(admin, self._registry(), "clear", args, gas=gas)

    def reinstate(
        self, admin: LocalAccount, dataset: str, contributor: str, reason_hash: bytes | str
    ) -> TxResult:
        address = self.ledger.require_dataset(dataset)
        args = (
            address,
            checked_address(contributor, "contributor"),
            checked_hash(reason_hash, "reason hash"),
        )
        return self._tx.send(admin, self._registry(), "reinstate", args, gas=GAS_REINSTATE)

    # ------------------------------------------------------------------ reads

    def revoked_at(self, dataset: str, contributor: str) -> int:
        """When the contributor's current revocation began (unix time), or 0 when they are not revoked."""
        if self._address is None:
            return 0
        call = self._registry().functions.revokedAt(
            checked_address(dataset, "dataset address"), checked_address(contributor, "contributor")
        )
        return int(self._tx.call(call))

    def is_held(self, dataset: str, content_hash: bytes | str) -> bool:
        if self._address is None:
            return False
        call = self._registry().functions.isHeld(
            checked_address(dataset, "dataset address"), checked_hash(content_hash)
        )
        try:
            return bool(self._tx.call(call))
        except ContractReverted as refused:
            if refused.error == "UnknownItem":
                return False
            raise

    @staticmethod
    def _checked_batch(content_hashes: Sequence[bytes | str]) -> list[bytes]:
        if not content_hashes:
            raise InvalidInput("a batch needs at least one item")
        if len(content_hashes) > MAX_BATCH:
            raise InvalidInput(f"a batch takes at most {MAX_BATCH} items, got {len(content_hashes)}")
        return [checked_hash(h) for h in content_hashes]

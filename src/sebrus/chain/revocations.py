"""Contributor revocations on chain: the ``Revocations`` registry beside every dataset.

A wrapper over :class:`~sebrus.chain.ledger.Ledger` (sharing its signing, nonces and revert decoding),
like the release registry. The registry is deployed the first time an owner revokes someone, and its
address is kept in ``$SEBRUS_DATA_DIR/deployments/<chain id>-revocations.json``, so chains deployed
before revocations existed need nothing else. Why a separate contract: see ``contracts/Revocations.sol``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, NotDeployed
from sebrus.chain.ledger import Ledger
from sebrus.chain.types import TxResult
from sebrus.chain.validation import checked_address, checked_hash

MAX_BATCH = 256  # Revocations.MAX_BATCH
GAS_REVOKE = 90_000
GAS_REINSTATE = 60_000
GAS_PER_ITEM = 16_000  # one getItem call and one event; measured about 10k
GAS_BATCH_BASE = 60_000


def revocations_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{int(chain_id)}-revocations.json"


class RevocationLedger:
    """Writes and reads of the Revocations registry; every method names a dataset by its address."""

    def __init__(self, ledger: Ledger, data_dir: Path) -> None:
        self.ledger = ledger
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
            artifact = load_artifact("Revocations")
            factory = self.ledger.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            result = self.ledger.transact(deployer, data=factory.constructor().data_in_transaction)
            address = self.ledger.created_address(result)
            self._save(address, result.block_number)
            self._address = address
            return address

    def _load(self) -> str | None:
        if not self._path.exists():
            return None
        address = str(json.loads(self._path.read_text("utf-8"))["address"])
        with self.ledger._exclusive():
            code = self.ledger.w3.eth.get_code(address)  # type: ignore[arg-type]
        return address if code else None  # a reset node: deploy again when needed

    def _save(self, address: str, block: int) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"chain_id": self.ledger.chain_id, "address": address, "block_number": block}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)

    def _registry(self) -> Contract:
        return self.ledger._contract(self.address, self._abi)

    # ------------------------------------------------------------------ writes (the dataset's admin)

    def revoke(
        self, admin: LocalAccount, dataset: str, contributor: str, reason_hash: bytes | str
    ) -> TxResult:
        address = self.ledger._require_dataset(dataset)
        call = self._registry().functions.revoke(
            address, checked_address(contributor, "contributor"), checked_hash(reason_hash, "reason hash")
        )
        return self.ledger._transact(admin, self.ledger._call_tx(self.address, call, GAS_REVOKE))

    def requarantine(
        self,
        admin: LocalAccount,
        dataset: str,
        contributor: str,
        content_hashes: Sequence[bytes | str],
        reason_hash: bytes | str,
    ) -> TxResult:
        """One ``ItemRequarantined`` event per item; at most :data:`MAX_BATCH` items per call."""
        address = self.ledger._require_dataset(dataset)
        hashes = self._checked_batch(content_hashes)
        call = self._registry().functions.requarantine(
            address,
            checked_address(contributor, "contributor"),
            hashes,
            checked_hash(reason_hash, "reason hash"),
        )
        gas = GAS_BATCH_BASE + GAS_PER_ITEM * len(hashes)
        return self.ledger._transact(admin, self.ledger._call_tx(self.address, call, gas))

    def clear(
        self,
        admin: LocalAccount,
        dataset: str,
        content_hashes: Sequence[bytes | str],
        report_hash: bytes | str,
    ) -> TxResult:
        address = self.ledger._require_dataset(dataset)
        hashes = self._checked_batch(content_hashes)
        call = self._registry().functions.clear(address, hashes, checked_hash(report_hash, "report hash"))
        gas = GAS_BATCH_BASE + (GAS_PER_ITEM + 25_000) * len(hashes)  # plus one fresh slot per item
        return self.ledger._transact(admin, self.ledger._call_tx(self.address, call, gas))

    def reinstate(
        self, admin: LocalAccount, dataset: str, contributor: str, reason_hash: bytes | str
    ) -> TxResult:
        address = self.ledger._require_dataset(dataset)
        call = self._registry().functions.reinstate(
            address, checked_address(contributor, "contributor"), checked_hash(reason_hash, "reason hash")
        )
        return self.ledger._transact(admin, self.ledger._call_tx(self.address, call, GAS_REINSTATE))

    # ------------------------------------------------------------------ reads

    def revoked_at(self, dataset: str, contributor: str) -> int:
        """When the contributor's current revocation began (unix time), or 0 when they are not revoked."""
        if self._address is None:
            return 0
        call = self._registry().functions.revokedAt(
            checked_address(dataset, "dataset address"), checked_address(contributor, "contributor")
        )
        return int(self.ledger._call(call))

    def is_held(self, dataset: str, content_hash: bytes | str) -> bool:
        if self._address is None:
            return False
        call = self._registry().functions.isHeld(
            checked_address(dataset, "dataset address"), checked_hash(content_hash)
        )
        try:
            return bool(self.ledger._call(call))
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

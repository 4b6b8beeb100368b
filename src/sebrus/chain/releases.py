"""Dataset releases on chain: publish to and read from the ReleaseRegistry.

Kept apart from :class:`~sebrus.chain.ledger.Ledger` (which it wraps, sending through its transactor
so that nonces, locks and revert decoding are shared) so that releases can grow without touching the
contribution path. ``read_release_at`` reads a release from any JSON-RPC URL with no deployment, keys
or data directory: it is what offline verification uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.ledger import Ledger
from sebrus.chain.reverts import REVERTS, reverted
from sebrus.chain.shipped_code import shipped_contract_at
from sebrus.chain.types import TxResult
from sebrus.chain.validation import checked_address, checked_hash

GAS_PUBLISH = 200_000  # measured about 120k for a first release (four fresh slots, one event)
MAX_ITEM_COUNT = 2**32 - 1  # ReleaseRegistry.Release.itemCount is a uint32
ZERO_HASH = bytes(32)


@dataclass(frozen=True)
class ChainRelease:
    """One published release as the registry stores it."""

    dataset: str
    version: int
    merkle_root: bytes
    manifest_hash: bytes
    removed_hash: bytes  # zero bytes when nothing was removed
    item_count: int
    published_at: int
    publisher: str


class ReleaseLedger:
    """The registry's writes and reads, through an open :class:`Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._tx = ledger.transactor
        self._abi = load_artifact("ReleaseRegistry").abi

    @property
    def registry_address(self) -> str:
        address = self._ledger.deployment.release_registry
        if address is None:
            raise NotDeployed("the ReleaseRegistry is not deployed on this chain; run `sebrus chain init`")
        return address

    def _registry(self) -> Contract:
        return self._tx.contract(self.registry_address, self._abi)

    def publish(
        self,
        admin: LocalAccount,
        dataset: str,
        *,
        version: int,
        merkle_root: bytes | str,
        item_count: int,
        manifest_hash: bytes | str,
        removed_hash: bytes | str | None = None,
    ) -> TxResult:
        """Publish a release; the registry refuses anyone but the dataset's admin, and old versions."""
        address = self._ledger.require_dataset(dataset)
        if not 0 < version < 2**64:
            raise InvalidInput(f"a release version is a positive 64-bit integer, got {version}")
        if not 0 < item_count <= MAX_ITEM_COUNT:
            raise InvalidInput(f"a release holds 1 to {MAX_ITEM_COUNT} items, got {item_count}")
        root = checked_hash(merkle_root, "Merkle root")  # refuses zero too
        args = (
            address,
            version,
            root,
            item_count,
            checked_hash(manifest_hash, "manifest hash"),
            ZERO_HASH if removed_hash is None else checked_hash(removed_hash, "removed hash"),
        )
        return self._tx.send(admin, self._registry(), "publish", args, gas=GAS_PUBLISH)

    def release(self, dataset: str, version: int) -> ChainRelease | None:
        """Release ``version`` of ``dataset``, or None if it was never published."""
        address = checked_address(dataset, "dataset address")
        try:
            raw = self._tx.call(self._registry().functions.release(address, version))
        except ContractReverted as refused:
            if refused.error == "UnknownRelease":
                return None
            raise
        return _chain_release(address, version, raw)

    def latest_version(self, dataset: str) -> int:
        address = checked_address(dataset, "dataset address")
        return int(self._tx.call(self._registry().functions.latestVersion(address)))


def read_release_at(url: str, registry: str, dataset: str, version: int) -> ChainRelease | None:
    """Read a release from the registry at ``registry`` on the chain at ``url``, trusting nothing local.

    The registry's code must be exactly the ReleaseRegistry SeBRUS ships (it has no immutables), so an
    export that names a look-alike contract cannot vouch for itself.
    """
    contract = shipped_contract_at(url, registry, "ReleaseRegistry", "registry address")
    dataset_address = checked_address(dataset, "dataset address")
    try:
        raw = contract.functions.release(dataset_address, version).call()
    except REVERTS as exc:
        refused = reverted(exc, None)
        if refused.error == "UnknownRelease":
            return None
        raise refused from exc
    return _chain_release(dataset_address, version, raw)


def chain_id_at(url: str) -> int:
    try:
        return int(Web3(HTTPProvider(url, request_kwargs={"timeout": 30})).eth.chain_id)
    except Exception as exc:
        raise LedgerError(f"cannot reach the chain at {url}: {exc}") from exc


def _chain_release(dataset: str, version: int, raw: Any) -> ChainRelease:
    root, manifest, removed, count, published_at, publisher = raw
    return ChainRelease(
        dataset=to_checksum_address(dataset),
        version=int(version),
        merkle_root=bytes(root),
        manifest_hash=bytes(manifest),
        removed_hash=bytes(removed),
        item_count=int(count),
        published_at=int(published_at),
        publisher=to_checksum_address(publisher),
    )

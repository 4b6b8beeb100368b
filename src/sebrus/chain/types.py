"""Plain values that cross the ledger boundary.

Hashes are ``bytes`` of length 32 and addresses are checksummed strings, so that nothing above
the adapter needs to know web3's own types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from sebrus.chain.errors import LedgerError


class ItemStatus(IntEnum):
    """Mirrors ``Dataset.Status``; the numeric values are the contract's."""

    NONE = 0
    PENDING = 1
    QUARANTINED = 2
    APPROVED = 3
    REJECTED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    manager: str
    dataset_implementation: str
    deployer: str
    block_number: int
    # None in deployment files written before releases existed: ``ChainHandle.init`` deploys it then.
    release_registry: str | None = None
    # None in files written before federated training existed: ``ChainHandle.init`` deploys it then.
    federation_log: str | None = None


@dataclass(frozen=True)
class DatasetInfo:
    index: int
    address: str
    name: str
    description: str
    owner: str
    labels: tuple[str, ...]
    payload_on_chain: bool
    item_count: int


@dataclass(frozen=True)
class ChainItem:
    dataset: str
    content_hash: bytes
    contributor: str
    label: int
    submitted_at: int
    status: ItemStatus


@dataclass(frozen=True)
class Submission:
    """One image to anchor: its sha256, a label index, and the bytes when the dataset carries them."""

    content_hash: bytes
    label: int
    payload: bytes = b""


@dataclass(frozen=True)
class SignedSubmission:
    """A submission its contributor signed (EIP-712) so that a relayer may pay the gas."""

    content_hash: bytes
    label: int
    contributor: str
    deadline: int
    signature: bytes
    payload: bytes = b""


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    gas_used: int
    events: tuple[ChainEvent, ...] = ()


@dataclass(frozen=True)
class ChainEvent:
    """One decoded contract event, ordered on the chain by (block_number, log_index)."""

    name: str
    address: str
    block_number: int
    log_index: int
    tx_hash: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


@dataclass(frozen=True)
class UnsignedCall:
    """A contract call for someone else's wallet to sign and send (``eth_sendTransaction``).

    The server builds it (and checks it) but never signs it: ``data`` is the ABI-encoded call,
    ``value_wei`` what it must carry, ``gas`` an explicit limit from measured use."""

    to: str
    data: bytes
    value_wei: int
    gas: int


@dataclass(frozen=True)
class ExternalTx:
    """A mined transaction that another key signed and sent (a browser wallet), as the chain saw it.

    ``reverted`` holds the contract's refusal, decoded as for our own transactions, or None when it
    succeeded; ``events`` are decoded like ``TxResult.events``."""

    tx_hash: str
    sender: str
    to: str | None
    value_wei: int
    block_number: int
    gas_used: int
    events: tuple[ChainEvent, ...] = ()
    reverted: LedgerError | None = None

    @property
    def result(self) -> TxResult:
        return TxResult(self.tx_hash, self.block_number, self.gas_used, self.events)

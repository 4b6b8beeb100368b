"""The ledger adapter: SeBRUS's contracts on an Ethereum chain, behind one typed interface.

``open_ledger(settings)`` picks the backend: the embedded, persisted py-evm chain when no
``SEBRUS_CHAIN_URL`` is set, or any JSON-RPC node otherwise. Everything above this package talks
to :class:`~sebrus.chain.ledger.Ledger` and never to web3 directly.
"""

from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.ledger import Ledger
from sebrus.chain.types import (
    ChainEvent,
    ChainItem,
    DatasetInfo,
    Deployment,
    ItemStatus,
    SignedSubmission,
    Submission,
    TxResult,
)

__all__ = [
    "ChainEvent",
    "ChainItem",
    "ContractReverted",
    "DatasetInfo",
    "Deployment",
    "InvalidInput",
    "ItemStatus",
    "Ledger",
    "LedgerError",
    "NotDeployed",
    "SignedSubmission",
    "Submission",
    "TxResult",
]

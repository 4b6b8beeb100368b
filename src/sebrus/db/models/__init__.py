"""Every table, importable from one place so that metadata is complete for migrations."""

from sebrus.db.models.abis import Abi
from sebrus.db.models.accounts import AuthSession, LoginThrottle, User, Wallet, WalletChallenge
from sebrus.db.models.audit_log import AuditLogEntry
from sebrus.db.models.chain_sync import ChainCursor, OutboxEntry
from sebrus.db.models.datasets import DEFAULT_MAX_BYTES, Dataset, DatasetRole
from sebrus.db.models.enums import DatasetRoleName, ItemStatus, OutboxState, SessionKind, WalletKind
from sebrus.db.models.federations import Federation, FederationRound
from sebrus.db.models.incidents import (
    MetricState,
    ReleaseMetric,
    Revocation,
    RevocationItem,
    RevocationState,
)
from sebrus.db.models.items import Item
from sebrus.db.models.releases import Release, ReleaseItem, ReleaseRemoval
from sebrus.db.models.review import (
    ReviewClaim,
    ReviewCommitSecret,
    ReviewServe,
    ReviewTransfer,
    ReviewVote,
    ReviewVoter,
)
from sebrus.db.models.review_deadlines import ReviewDeadline
from sebrus.db.models.scans import (
    DatasetSeed,
    QuarantineState,
    Scan,
    ScanResult,
    ScanScope,
    ScanState,
    SeedSource,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Abi",
    "AuditLogEntry",
    "AuthSession",
    "ChainCursor",
    "Dataset",
    "DatasetRole",
    "DatasetRoleName",
    "DatasetSeed",
    "Federation",
    "FederationRound",
    "Item",
    "ItemStatus",
    "LoginThrottle",
    "MetricState",
    "OutboxEntry",
    "OutboxState",
    "QuarantineState",
    "Release",
    "ReleaseItem",
    "ReleaseMetric",
    "ReleaseRemoval",
    "ReviewClaim",
    "ReviewCommitSecret",
    "ReviewDeadline",
    "ReviewServe",
    "ReviewTransfer",
    "ReviewVote",
    "ReviewVoter",
    "Revocation",
    "RevocationItem",
    "RevocationState",
    "Scan",
    "ScanResult",
    "ScanScope",
    "ScanState",
    "SeedSource",
    "SessionKind",
    "User",
    "Wallet",
    "WalletChallenge",
    "WalletKind",
]

"""``PlatformRoundSink``: the engine's ``RoundSink`` on the platform, one database session per call.

The Flower strategy calls it from its own thread after each aggregation; each call opens a session,
anchors and stores (see ``rounds`` and ``model``), and commits. Calls for one federation take turns
(``rounds.federation_lock``, shared with the API's routes), so a chain read and its send stay together.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs.base import BlobStore
from sebrus.chain.federation import FederationLedger
from sebrus.federated.records import RoundRecord
from sebrus.services.federation.model import record_final_model
from sebrus.services.federation.queries import get_federation
from sebrus.services.federation.rounds import anchor_round, federation_lock


class PlatformRoundSink:
    """Anchors and stores each round; ``federation_id`` in the records is the platform's federation id."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        ledger: FederationLedger,
        operator: LocalAccount,
        blobs: BlobStore,
    ) -> None:
        self._sessions = session_factory
        self._ledger = ledger
        self._operator = operator
        self._blobs = blobs

    def record_round(self, record: RoundRecord) -> None:
        with self._sessions() as db:
            anchor_round(db, self._ledger, self._operator, get_federation(db, record.federation_id), record)

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None:
        with federation_lock(federation_id), self._sessions() as db:
            federation = get_federation(db, federation_id)
            record_final_model(
                db, self._ledger, self._operator, self._blobs, federation, model_sha256, model_bytes
            )

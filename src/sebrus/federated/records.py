"""What one federated round decided: the contract between the engine and provenance.

The Flower strategy (engine side) builds a `RoundRecord` after each aggregation and hands it to
a `RoundSink`; the platform's sink anchors it on chain and stores it (provenance side). Keeping
the record a plain frozen dataclass lets either side be tested without the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class LossReport:
    """One client's ε-LDP training loss for one round, as the client signed it."""

    wallet: str  # checksummed 0x address of the client's wallet
    noisy_loss: float  # the loss after LDP noise: the only loss the server ever sees
    num_examples: int
    signature: str  # 0x hex EIP-191 signature by `wallet` over the report (see engine docs)


@dataclass(frozen=True)
class RoundRecord:
    """The server's decision for one round, in the form that gets anchored."""

    federation_id: int
    round_index: int  # 1-based, as Flower counts rounds
    participants: tuple[str, ...]  # wallets whose updates arrived and were well-formed
    excluded: tuple[str, ...]  # wallets left out of the aggregate (the high-loss cluster)
    refused: tuple[str, ...]  # wallets whose update or report was malformed (``node:<cid>`` if none named)
    separated: bool  # whether the gap test found two clusters (False: nobody excluded)
    aggregate_sha256: str  # hex sha256 of the aggregated parameters (canonical bytes, see engine)
    loss_reports_sha256: str  # hex sha256 of the canonical JSON of `loss_reports`
    loss_reports: tuple[LossReport, ...] = field(default=())


class RoundSink(Protocol):
    """Receives each round's record; the platform anchors and stores it."""

    def record_round(self, record: RoundRecord) -> None: ...

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None: ...

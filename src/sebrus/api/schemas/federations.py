"""Request bodies and answers of federated training's routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.schemas.common import Answer, StatusAnswer
from sebrus.db.models import Federation, FederationRound
from sebrus.federated.records import LossReport, RoundRecord
from sebrus.services.federation.config import IMAGE_SIZE_BOUNDS, MAX_ROUNDS, MIN_CLIENTS_BOUNDS

Address = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="A wallet: 0x and 40 hex digits.")
Sha256 = Field(pattern=r"^(0x)?[0-9a-fA-F]{64}$", description="A sha256 as 64 hex digits.")
MAX_PARTICIPANTS = 4096


class FederationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[str] | None = Field(
        default=None,
        max_length=1000,
        description="The labels to train on (two or more of the dataset's); all of them when left out.",
    )
    rounds: int = Field(ge=1, le=MAX_ROUNDS, description="How many Flower rounds to run.")
    epsilon: Annotated[float, Field(gt=0, allow_inf_nan=False)] | Literal["inf"] = Field(
        description='The clients\' ε-LDP budget for their loss reports: above 0, or "inf" for no noise.'
    )
    mechanism: Literal["laplace", "gaussian"] = "laplace"
    model: Literal["reference", "uploaded"] = Field(
        default="reference",
        description="`reference`: the reference CNN. `uploaded` (the dataset's scan model) is refused with a "
        "400 before anything is opened: the federated engine trains the reference CNN only.",
    )
    elimination: Literal["high-loss-cluster", "none"] = Field(
        default="high-loss-cluster",
        description="`high-loss-cluster`: K-Means over the noisy losses, the high cluster left out of the "
        "aggregate when the gap test separates two; `none`: aggregate everyone.",
    )
    min_clients: int = Field(
        default=2,
        ge=MIN_CLIENTS_BOUNDS[0],
        le=MIN_CLIENTS_BOUNDS[1],
        description="Clients a round waits for.",
    )
    image_size: int | None = Field(
        default=None,
        ge=IMAGE_SIZE_BOUNDS[0],
        le=IMAGE_SIZE_BOUNDS[1],
        description="The side (pixels) every client resizes its images to; by default the dataset's size "
        "when its width and height bounds fix one square size, else 28.",
    )
    in_channels: Literal[1, 3] = Field(default=1, description="1: greyscale images; 3: colour (RGB).")

    def request(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class LossReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wallet: str = Address
    noisy_loss: float = Field(allow_inf_nan=False)
    num_examples: int = Field(ge=0, le=2**31 - 1)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="EIP-191 signature, 65 bytes.")


class RoundIn(BaseModel):
    """One round as the engine decided it (``sebrus.federated.records.RoundRecord``)."""

    model_config = ConfigDict(extra="forbid")

    round_index: int = Field(ge=1, le=MAX_ROUNDS)
    participants: list[str] = Field(max_length=MAX_PARTICIPANTS)
    excluded: list[str] = Field(default_factory=list, max_length=256)
    refused: list[str] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)
    separated: bool = False
    aggregate_sha256: str = Sha256
    loss_reports_sha256: str = Sha256
    loss_reports: list[LossReportIn] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)

    def record(self, federation_id: int) -> RoundRecord:
        return RoundRecord(
            federation_id=federation_id,
            round_index=self.round_index,
            participants=tuple(self.participants),
            excluded=tuple(self.excluded),
            refused=tuple(self.refused),
            separated=self.separated,
            aggregate_sha256=self.aggregate_sha256,
            loss_reports_sha256=self.loss_reports_sha256,
            loss_reports=tuple(LossReport(**r.model_dump()) for r in self.loss_reports),
        )


# ---------------------------------------------------------------------------------------------- answers


class LossReportOut(Answer):
    wallet: str
    noisy_loss: float
    num_examples: int
    signature: str


class RoundOut(Answer):
    round_index: int
    participants: list[str]
    excluded: list[str]
    refused: list[str]
    separated: bool
    participants_root: str
    aggregate_sha256: str
    loss_reports_sha256: str
    loss_reports: list[LossReportOut]
    tx_hash: str
    block_number: int
    recorded_at: str


class FederationOut(Answer):
    id: int
    dataset_id: int
    status: str
    config: dict[str, Any]
    config_sha256: str
    chain_id: int
    federation_log: str
    chain_federation_id: int
    operator: str
    open_tx_hash: str
    open_block: int
    model_sha256: str | None
    model_size: int | None
    model_tx_hash: str | None
    started_at: str
    rounds: list[RoundOut]


class FederationFound(StatusAnswer):
    federation: FederationOut


class FederationList(StatusAnswer):
    federations: list[FederationOut]


class RoundRecorded(StatusAnswer):
    round: RoundOut


def round_json(row: FederationRound) -> dict[str, Any]:
    return {
        "round_index": row.round_index,
        "participants": list(row.participants),
        "excluded": list(row.excluded),
        "refused": list(row.refused),
        "separated": row.separated,
        "participants_root": row.participants_root,
        "aggregate_sha256": row.aggregate_sha256,
        "loss_reports_sha256": row.loss_reports_sha256,
        "loss_reports": list(row.loss_reports),
        "tx_hash": row.tx_hash,
        "block_number": row.block_number,
        "recorded_at": row.created_at.isoformat(),
    }


def federation_json(federation: Federation, rounds: list[FederationRound]) -> dict[str, Any]:
    return {
        "id": federation.id,
        "dataset_id": federation.dataset_id,
        "status": federation.status,
        "config": dict(federation.config),
        "config_sha256": federation.config_hash,
        "chain_id": federation.chain_id,
        "federation_log": federation.log_address,
        "chain_federation_id": federation.chain_federation_id,
        "operator": federation.operator_address,
        "open_tx_hash": federation.open_tx_hash,
        "open_block": federation.open_block,
        "model_sha256": federation.model_sha256,
        "model_size": federation.model_size,
        "model_tx_hash": federation.model_tx_hash,
        "started_at": federation.created_at.isoformat(),
        "rounds": [round_json(r) for r in rounds],
    }

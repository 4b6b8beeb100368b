"""Federated training runs on a dataset: the federation, each anchored round, and the final model.

The chain's FederationLog holds each round's participants root, exclusions and hashes (in events);
these rows hold what the pages and the API show (the full participant lists, refusals, the clients'
loss reports) and where the final model's bytes are. A round row is written only after its
transaction was mined, so a stored round is an anchored round.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow

FEDERATION_RUNNING = "running"
FEDERATION_FINISHED = "finished"


class Federation(Base):
    __tablename__ = "federations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical config JSON
    status: Mapped[str] = mapped_column(String(16), default=FEDERATION_RUNNING)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    log_address: Mapped[str] = mapped_column(String(42))  # the FederationLog
    chain_federation_id: Mapped[int] = mapped_column(BigInteger)  # the log's id for it
    operator_address: Mapped[str] = mapped_column(String(42))  # who records the rounds
    open_tx_hash: Mapped[str] = mapped_column(String(66))
    open_block: Mapped[int] = mapped_column(BigInteger)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # also its blob key
    model_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    model_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("chain_id", "log_address", "chain_federation_id"),)


class FederationRound(Base):
    __tablename__ = "federation_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    federation_id: Mapped[int] = mapped_column(ForeignKey("federations.id", ondelete="CASCADE"))
    round_index: Mapped[int] = mapped_column(Integer)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    excluded: Mapped[list[str]] = mapped_column(JSON, default=list)
    refused: Mapped[list[str]] = mapped_column(JSON, default=list)
    separated: Mapped[bool] = mapped_column(Boolean, default=False)
    participants_root: Mapped[str] = mapped_column(String(64))
    aggregate_sha256: Mapped[str] = mapped_column(String(64))
    loss_reports_sha256: Mapped[str] = mapped_column(String(64))
    loss_reports: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("federation_id", "round_index"),)

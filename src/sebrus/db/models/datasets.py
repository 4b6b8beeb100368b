"""Datasets mirrored from the ledger, with the policy the platform enforces on uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow
from sebrus.db.models.enums import DatasetRoleName, str_enum

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Null until a ledger has confirmed the contract (the prototype let clients deploy it themselves).
    chain_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    address: Mapped[str] = mapped_column(String(42), unique=True)
    chain_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Survives its owner's account: the dataset lives on chain whether or not the account does.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_bytes: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MAX_BYTES)
    min_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload_on_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    review_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # What exports tell people about reuse (Croissant's `license` and `citeAs`); null: not stated yet.
    license: Mapped[str | None] = mapped_column(String(256), nullable=True)  # SPDX expression or URL
    cite_as: Mapped[str | None] = mapped_column(Text, nullable=True)  # e.g. a BibTeX entry
    # The owner's own model that scans use instead of the reference CNN (services/scans/model.py): its
    # bytes are in the blob store under this sha256. All null: scans train the reference CNN.
    scan_model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scan_model_format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    scan_model_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    scan_model_name: Mapped[str | None] = mapped_column(String(128), nullable=True)  # shown, never a path
    scan_model_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"Dataset(id={self.id!r}, name={self.name!r}, address={self.address!r})"


class DatasetRole(Base):
    __tablename__ = "dataset_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[DatasetRoleName] = mapped_column(str_enum(DatasetRoleName, "dataset_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("dataset_id", "user_id", "role"),)

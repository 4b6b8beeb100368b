"""Reads for the faces: a dataset's federations, one federation, its rounds (oldest first)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Federation, FederationRound
from sebrus.services.errors import NotFound


def federations_of(db: Session, dataset: Dataset) -> list[Federation]:
    stmt = select(Federation).where(Federation.dataset_id == dataset.id).order_by(Federation.id.desc())
    return list(db.scalars(stmt))


def get_federation(db: Session, federation_id: int) -> Federation:
    federation = db.get(Federation, federation_id)
    if federation is None:
        raise NotFound(f"Federation {federation_id} not found.")
    return federation


def rounds_of(db: Session, federations: list[Federation]) -> dict[int, list[FederationRound]]:
    """Each federation's rounds, in one query."""
    found: dict[int, list[FederationRound]] = {f.id: [] for f in federations}
    if not found:
        return found
    stmt = (
        select(FederationRound)
        .where(FederationRound.federation_id.in_(found))
        .order_by(FederationRound.federation_id, FederationRound.round_index)
    )
    for row in db.scalars(stmt):
        found[row.federation_id].append(row)
    return found

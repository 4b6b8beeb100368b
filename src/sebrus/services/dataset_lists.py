"""Lists of datasets a page shows beside others: an owner's newest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, User


def newest_owned_datasets(db: Session, user: User, limit: int) -> tuple[list[Dataset], int]:
    """The owner's newest datasets (at most ``limit``) and how many they own in all."""
    mine = select(Dataset).where(Dataset.owner_id == user.id)
    shown = list(db.scalars(mine.order_by(Dataset.id.desc()).limit(limit)))
    total = db.scalar(select(func.count()).select_from(mine.subquery()))
    return shown, int(total or 0)

"""Per-dataset roles: owner, contributor, reviewer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, DatasetRole, DatasetRoleName, User
from sebrus.services import audit_log
from sebrus.services.errors import InvalidInput, NotFound, PermissionDenied


def roles_of(db: Session, dataset: Dataset, user: User) -> set[DatasetRoleName]:
    stmt = select(DatasetRole.role).where(
        DatasetRole.dataset_id == dataset.id, DatasetRole.user_id == user.id
    )
    return set(db.scalars(stmt))


def has_role(db: Session, dataset: Dataset, user: User, role: DatasetRoleName) -> bool:
    return role in roles_of(db, dataset, user)


def require_owner(db: Session, dataset: Dataset, user: User, verb: str = "change") -> None:
    if dataset.owner_id != user.id:
        raise PermissionDenied(f"Only the dataset's owner may {verb} it.")


def members(db: Session, dataset: Dataset) -> list[DatasetRole]:
    stmt = select(DatasetRole).where(DatasetRole.dataset_id == dataset.id).order_by(DatasetRole.id)
    return list(db.scalars(stmt))


def _add(db: Session, dataset: Dataset, user_id: int, role: DatasetRoleName) -> DatasetRole:
    existing = db.scalar(
        select(DatasetRole).where(
            DatasetRole.dataset_id == dataset.id, DatasetRole.user_id == user_id, DatasetRole.role == role
        )
    )
    if existing is not None:
        return existing
    row = DatasetRole(dataset_id=dataset.id, user_id=user_id, role=role)
    db.add(row)
    return row


def add_owner_role(db: Session, dataset: Dataset, owner: User) -> DatasetRole:
    """Called by dataset registration inside its own transaction."""
    return _add(db, dataset, owner.id, DatasetRoleName.OWNER)


def grant_role(
    db: Session, actor: User, dataset: Dataset, user_id: int, role: DatasetRoleName
) -> DatasetRole:
    require_owner(db, dataset, actor, "manage roles of")
    if role is DatasetRoleName.OWNER:
        raise InvalidInput(
            "Ownership is fixed at registration; grant `contributor` or `reviewer`.", field="role"
        )
    if db.get(User, user_id) is None:
        raise NotFound("User not found.")
    row = _add(db, dataset, user_id, role)
    audit_log.record(
        db,
        "role.grant",
        f"dataset:{dataset.id}",
        actor_user_id=actor.id,
        details={"user": user_id, "role": role},
    )
    db.commit()
    return row


def revoke_role(db: Session, actor: User, dataset: Dataset, user_id: int, role: DatasetRoleName) -> None:
    require_owner(db, dataset, actor, "manage roles of")
    if role is DatasetRoleName.OWNER:
        raise InvalidInput("The owner role cannot be revoked.", field="role")
    row = db.scalar(
        select(DatasetRole).where(
            DatasetRole.dataset_id == dataset.id, DatasetRole.user_id == user_id, DatasetRole.role == role
        )
    )
    if row is None:
        raise NotFound("That user does not hold that role on this dataset.")
    db.delete(row)
    audit_log.record(
        db,
        "role.revoke",
        f"dataset:{dataset.id}",
        actor_user_id=actor.id,
        details={"user": user_id, "role": role},
    )
    db.commit()

"""``/api/dataset``: register and browse datasets; only the owner changes one."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from sebrus.api.schemas.common import ERROR_RESPONSES, StatusOut
from sebrus.api.schemas.datasets import (
    DatasetCreate,
    DatasetCreated,
    DatasetFound,
    DatasetList,
    DatasetOut,
    DatasetUpdate,
    RoleList,
    RoleOut,
)
from sebrus.api.schemas.scans import prepare_images
from sebrus.db.models import Dataset, DatasetRoleName
from sebrus.http.deps import CurrentUser, DbSession, Pagination, State
from sebrus.services import datasets
from sebrus.services.accounts import roles
from sebrus.services.accounts.users import usernames
from sebrus.services.errors import InvalidInput
from sebrus.services.scans import seeds

router = APIRouter(prefix="/api/dataset", tags=["datasets"], responses=ERROR_RESPONSES)


def _out(db: Session, dataset: Dataset) -> DatasetOut:
    """One dataset as the API answers it, its owner named (people read names, not user ids)."""
    return DatasetOut.of(dataset, usernames(db, [dataset.owner_id]).get(dataset.owner_id or 0))


@router.post("", status_code=201, response_model=DatasetCreated)
def create_dataset(body: DatasetCreate, db: DbSession, user: CurrentUser, state: State) -> DatasetCreated:
    # The prototype's client deployed the contract itself and reported its address; with the ledger
    # attached the platform deploys it, so the address is optional there.
    required = ["datasetName", "description"]
    if isinstance(state.hooks.dataset_anchor, datasets.ClientDeployedAnchor):
        required.append("address")
    missing = [name for name in required if getattr(body, name) is None]
    if missing:
        raise InvalidInput("Missing required field(s): " + ", ".join(f"`{m}`" for m in missing) + ".")
    assert body.datasetName is not None and body.description is not None
    spec = datasets.DatasetSpec(
        name=body.datasetName,
        description=body.description,
        address=body.address,
        labels=body.labels,
        max_bytes=body.max_bytes,
        min_width=body.min_width,
        max_width=body.max_width,
        min_height=body.min_height,
        max_height=body.max_height,
        payload_on_chain=body.payload_on_chain,
        review_policy=body.review_policy,
    )
    # Seed files are checked before the dataset is created on chain, so a bad one refuses the whole request.
    seed_files = prepare_images(
        body.seed,
        seeds.SeedLimits(
            spec.labels, spec.max_bytes, spec.min_width, spec.max_width, spec.min_height, spec.max_height
        ),
    )
    dataset = datasets.register_dataset(db, user, spec, state.hooks.dataset_anchor, state.dataset_limiter)
    if seed_files:
        seeds.store_seed_files(db, state.blobs, dataset, user, seed_files)
    return DatasetCreated(status="New dataset created.", new_dataset=DatasetOut.of(dataset, user.username))


@router.get("", response_model=DatasetList)
def list_datasets(db: DbSession, page: Pagination, owner_id: int | None = None) -> DatasetList:
    found = datasets.list_datasets(db, page, owner_id=owner_id)
    owners = usernames(db, [d.owner_id for d in found.items])
    return DatasetList(
        status="Success.",
        datasets=[DatasetOut.of(d, owners.get(d.owner_id or 0)) for d in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{dataset_id}", response_model=DatasetFound)
def read_dataset(dataset_id: int, db: DbSession) -> DatasetFound:
    out = _out(db, datasets.get_dataset(db, dataset_id))
    return DatasetFound(status="Success.", dataset=out, user=out)


@router.put("/{dataset_id}", response_model=DatasetFound)
def update_dataset(dataset_id: int, body: DatasetUpdate, db: DbSession, user: CurrentUser) -> DatasetFound:
    dataset = datasets.get_dataset(db, dataset_id)
    dataset = datasets.update_dataset(
        db,
        user,
        dataset,
        name=body.datasetName,
        description=body.description,
        address=body.address,
        license=body.license,
        cite_as=body.cite_as,
    )
    out = _out(db, dataset)
    return DatasetFound(status="Dataset edited.", dataset=out, user=out)


@router.delete("/{dataset_id}", response_model=StatusOut)
def delete_dataset(dataset_id: int, db: DbSession, user: CurrentUser) -> StatusOut:
    datasets.delete_dataset(db, user, datasets.get_dataset(db, dataset_id))
    return StatusOut(status="Dataset deleted.")


@router.get("/{dataset_id}/roles", response_model=RoleList)
def list_roles(dataset_id: int, db: DbSession) -> RoleList:
    dataset = datasets.get_dataset(db, dataset_id)
    rows = roles.members(db, dataset)
    return RoleList(status="Success.", roles=[RoleOut(user_id=r.user_id, role=r.role.value) for r in rows])


@router.put("/{dataset_id}/roles/{user_id}/{role}", response_model=RoleList)
def grant_role(
    dataset_id: int, user_id: int, role: DatasetRoleName, db: DbSession, user: CurrentUser
) -> RoleList:
    dataset = datasets.get_dataset(db, dataset_id)
    roles.grant_role(db, user, dataset, user_id, role)
    rows = roles.members(db, dataset)
    return RoleList(
        status="Role granted.", roles=[RoleOut(user_id=r.user_id, role=r.role.value) for r in rows]
    )


@router.delete("/{dataset_id}/roles/{user_id}/{role}", response_model=StatusOut)
def revoke_role(
    dataset_id: int, user_id: int, role: DatasetRoleName, db: DbSession, user: CurrentUser
) -> StatusOut:
    dataset = datasets.get_dataset(db, dataset_id)
    roles.revoke_role(db, user, dataset, user_id, role)
    return StatusOut(status="Role revoked.")

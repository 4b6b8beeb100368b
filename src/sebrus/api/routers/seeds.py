"""``/api/dataset/{id}/seed``: the owner's vetted seed set, the trusted data scans calibrate against.

Owner only, reads included: which images calibrate the detectors is worth keeping from uploaders.
Seeds can also be given with the dataset's creation request (its ``seed`` field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sebrus.api.schemas.common import ERROR_RESPONSES, StatusAnswer
from sebrus.api.schemas.scans import SeedAdd, SeedAdded, SeedList, prepare_images, seed_json
from sebrus.http.deps import CurrentUser, DbSession, State
from sebrus.services import datasets
from sebrus.services.scans import seeds

router = APIRouter(prefix="/api/dataset/{dataset_id}/seed", tags=["scans"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]


@router.post("", status_code=201)
def add_seed(
    dataset_id: DatasetId, body: SeedAdd, db: DbSession, user: CurrentUser, state: State
) -> SeedAdded:
    """Add seed files and/or existing items to the seed set; images already in it are left as they are."""
    dataset = datasets.get_dataset(db, dataset_id)
    files = prepare_images(body.images, seeds.SeedLimits.of(dataset))
    added = seeds.store_seed_files(db, state.blobs, dataset, user, files) if files else []
    if body.items:
        added += seeds.add_seed_items(db, dataset, user, body.items)
    rows = seeds.list_seeds(db, dataset, user)
    held_out = seeds.holdout_hashes(rows)
    return SeedAdded.model_validate(
        {
            "status": f"{len(added)} added to the seed set.",
            "added": [seed_json(s, held_out) for s in added],
            "total": len(rows),
        }
    )


@router.get("")
def list_seed(dataset_id: DatasetId, db: DbSession, user: CurrentUser) -> SeedList:
    dataset = datasets.get_dataset(db, dataset_id)
    rows = seeds.list_seeds(db, dataset, user)
    held_out = seeds.holdout_hashes(rows)
    return SeedList.model_validate(
        {
            "status": "Success.",
            "seed": [seed_json(s, held_out) for s in rows],
            "total": len(rows),
            "heldout_for_monitoring": len(held_out),
        }
    )


@router.delete("/{sha256}")
def remove_seed(dataset_id: DatasetId, sha256: str, db: DbSession, user: CurrentUser) -> StatusAnswer:
    dataset = datasets.get_dataset(db, dataset_id)
    seeds.remove_seed(db, dataset, user, sha256)
    return StatusAnswer.model_validate({"status": "Removed from the seed set."})

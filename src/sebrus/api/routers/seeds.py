"""``/api/dataset/{id}/seed``: the owner's vetted seed set, the trusted data scans calibrate against.

Owner only, reads included: which images calibrate the detectors is worth keeping from uploaders.
Seeds can also be given with the dataset's creation request (its ``seed`` field).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from sebrus.api.deps import CurrentUser, DbSession, State
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.scans import SeedAdd, SeedImage
from sebrus.db.models import DatasetSeed
from sebrus.services import datasets
from sebrus.services.scans import seeds

router = APIRouter(prefix="/api/dataset/{dataset_id}/seed", tags=["scans"], responses=ERROR_RESPONSES)

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The dataset's id.")]


def seed_json(seed: DatasetSeed, held_out: set[str] | None = None) -> dict[str, Any]:
    """``heldout_for_monitoring``: in the share release monitoring measures on, which scans never use."""
    return {
        "sha256": seed.content_hash,
        "label": seed.label,
        "source": seed.source.value,
        "added_at": seed.created_at.isoformat(),
        "heldout_for_monitoring": seed.content_hash in (held_out or set()),
    }


def prepare_images(images: list[SeedImage], limits: seeds.SeedLimits) -> list[seeds.SeedFile]:
    """Decode and validate seed files from a request body (also used by dataset creation)."""
    decoded = [
        (image.label, seeds.decode_base64_image(image.data, f"seed image {index}"))
        for index, image in enumerate(images)
    ]
    return seeds.prepare_seed_files(decoded, limits)


@router.post("", status_code=201)
def add_seed(
    dataset_id: DatasetId, body: SeedAdd, db: DbSession, user: CurrentUser, state: State
) -> dict[str, Any]:
    """Add seed files and/or existing items to the seed set; images already in it are left as they are."""
    dataset = datasets.get_dataset(db, dataset_id)
    files = prepare_images(body.images, seeds.SeedLimits.of(dataset))
    added = seeds.store_seed_files(db, state.blobs, dataset, user, files) if files else []
    if body.items:
        added += seeds.add_seed_items(db, dataset, user, body.items)
    rows = seeds.list_seeds(db, dataset, user)
    held_out = seeds.holdout_hashes(rows)
    return {
        "status": f"{len(added)} added to the seed set.",
        "added": [seed_json(s, held_out) for s in added],
        "total": len(rows),
    }


@router.get("")
def list_seed(dataset_id: DatasetId, db: DbSession, user: CurrentUser) -> dict[str, Any]:
    dataset = datasets.get_dataset(db, dataset_id)
    rows = seeds.list_seeds(db, dataset, user)
    held_out = seeds.holdout_hashes(rows)
    return {
        "status": "Success.",
        "seed": [seed_json(s, held_out) for s in rows],
        "total": len(rows),
        "heldout_for_monitoring": len(held_out),
    }


@router.delete("/{sha256}")
def remove_seed(dataset_id: DatasetId, sha256: str, db: DbSession, user: CurrentUser) -> dict[str, Any]:
    dataset = datasets.get_dataset(db, dataset_id)
    seeds.remove_seed(db, dataset, user, sha256)
    return {"status": "Removed from the seed set."}

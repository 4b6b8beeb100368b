"""Every page, one module per area."""

from fastapi import APIRouter

from sebrus.web.routes import (
    account,
    audit,
    contribute,
    dataset_policy,
    dataset_terms,
    datasets,
    federations,
    home,
    item_deposit,
    items,
    owner_review,
    profile,
    releases,
    review,
    scan_model,
    scans,
    seed_images,
)

router = APIRouter(include_in_schema=False)
for _module in (
    home,
    account,
    datasets,
    contribute,
    items,
    item_deposit,
    profile,
    owner_review,
    review,
    scans,
    seed_images,
    scan_model,
    dataset_terms,
    dataset_policy,
    releases,
    audit,
    federations,
):
    router.include_router(_module.router)

__all__ = ["router"]

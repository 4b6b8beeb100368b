"""One router per resource, registered from here only (``register_routers``).

``BASE_ROUTERS`` need only the database and blobs; ``CHAIN_ROUTERS`` need the chain's services
(``app.state.chain``), so only ``sebrus.platform.build_platform`` mounts them, after the base ones.
"""

from fastapi import APIRouter, FastAPI

from sebrus.api.routers import (
    abis,
    contribution_signing,
    dataset_audit,
    datasets,
    health,
    incidents,
    items,
    releases,
    review,
    review_wallet,
    scan_model,
    scans,
    seeds,
    sessions,
    tokens,
    users,
    wallets,
)

BASE_ROUTERS: list[APIRouter] = [
    health.router,
    users.router,
    sessions.router,
    tokens.router,
    datasets.router,
    abis.router,
    wallets.router,
    seeds.router,
    scan_model.router,
]

CHAIN_ROUTERS: list[APIRouter] = [
    items.router,
    contribution_signing.router,
    dataset_audit.router,
    releases.router,
    scans.router,
    review.router,
    review.mine_router,
    review_wallet.router,
    incidents.router,
]


def register_routers(app: FastAPI, *, with_chain: bool) -> None:
    """Mount the API: the base routers, and the chain's when the app has one."""
    for router in BASE_ROUTERS + (CHAIN_ROUTERS if with_chain else []):
        app.include_router(router)

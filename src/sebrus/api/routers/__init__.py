"""One router per resource, registered from here only (``register_routers``).

``BASE_ROUTERS`` need only the database and blobs; ``CHAIN_ROUTERS`` need the chain's services
(``app.state.chain``), so only ``sebrus.platform.build_platform`` mounts them, after the base ones.
``EMBEDDED_CHAIN_ROUTERS`` (the ``/rpc`` JSON-RPC endpoint) only when that chain is the embedded one:
with an rpc backend the operator's node is the endpoint.
"""

from fastapi import APIRouter, FastAPI

from sebrus.api.routers import (
    abis,
    contribution_signing,
    dataset_audit,
    datasets,
    federations,
    health,
    incidents,
    items,
    releases,
    review,
    review_bond,
    review_claims,
    review_wallet,
    review_wallet_ballots,
    rpc,
    scan_model,
    scans,
    seeds,
    sessions,
    tokens,
    uploads,
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
    uploads.router,
    contribution_signing.router,
    dataset_audit.router,
    releases.router,
    scans.router,
    review.router,
    review.mine_router,
    review_bond.router,
    review_claims.router,
    review_wallet.router,
    review_wallet_ballots.router,
    incidents.router,
    federations.router,
]


EMBEDDED_CHAIN_ROUTERS: list[APIRouter] = [rpc.router]


def register_routers(app: FastAPI, *, with_chain: bool, embedded_rpc: bool = False) -> None:
    """Mount the API: the base routers, the chain's when the app has one, ``/rpc`` on an embedded one."""
    routers = BASE_ROUTERS + (CHAIN_ROUTERS if with_chain else [])
    if with_chain and embedded_rpc:
        routers += EMBEDDED_CHAIN_ROUTERS
    for router in routers:
        app.include_router(router)

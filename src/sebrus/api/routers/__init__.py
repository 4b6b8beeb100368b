"""One router per resource."""

from sebrus.api.routers import (
    abis,
    datasets,
    health,
    scan_model,
    seeds,
    sessions,
    tokens,
    users,
    wallets,
)

ALL_ROUTERS = [
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

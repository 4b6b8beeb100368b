"""Every page, one module per area; the Review and Scans modules are where those features plug in."""

from fastapi import APIRouter

from sebrus.web.routes import account, contribute, datasets, home, items, profile, review, scans

router = APIRouter(include_in_schema=False)
for _module in (home, account, datasets, contribute, items, profile, review, scans):
    router.include_router(_module.router)

__all__ = ["router"]

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from sebrus.api.schemas.common import ApiModel
from sebrus.http.deps import DbSession

router = APIRouter(tags=["health"])


class HealthOut(ApiModel):
    status: str
    database: str


@router.get("/api/health", response_model=HealthOut)
def health(db: DbSession) -> HealthOut:
    db.execute(text("SELECT 1"))
    return HealthOut(status="ok", database=db.get_bind().dialect.name)

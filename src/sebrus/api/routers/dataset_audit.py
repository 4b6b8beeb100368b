"""``GET /api/dataset/{id}/audit``: anyone may ask the platform to prove its copies agree.

Reading is open on purpose: the point of anchoring on chain is that nobody has to take the
operator's word for the database, so nobody needs an account to see whether it matches.
"""

from __future__ import annotations

from fastapi import APIRouter

from sebrus.api.schemas.audit import AuditOut
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.http.deps import AuditChainDep, DbSession, OptionalUser, State
from sebrus.services import datasets
from sebrus.services.audit.consistency import audit_dataset

router = APIRouter(prefix="/api/dataset/{dataset_id}/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get(
    "",
    responses={
        404: {"description": "No such dataset."},
        503: {"description": "No chain is attached to this server."},
    },
)
def audit(
    dataset_id: int, db: DbSession, state: State, user: OptionalUser, services: AuditChainDep
) -> AuditOut:
    """Compare database, chain and blob store for one dataset; ``ok`` only when all three agree."""
    dataset = datasets.get_dataset(db, dataset_id)
    report = audit_dataset(
        db,
        services.handle.ledger,
        state.blobs,
        dataset,
        actor_user_id=user.id if user is not None else None,
    )
    return AuditOut.of(report)

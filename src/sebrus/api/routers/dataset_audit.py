"""``GET /api/dataset/{id}/audit``: anyone may ask the platform to prove its copies agree.

Reading is open on purpose: the point of anchoring on chain is that nobody has to take the
operator's word for the database, so nobody needs an account to see whether it matches. An audit
re-hashes every blob, so anonymous callers share the latest run (``SEBRUS_AUDIT_CACHE_SECONDS``) and
write nothing; a signed-in caller gets a new run, written to the audit log under their name.
"""

from __future__ import annotations

from functools import partial

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
    """Compare database, chain and blob store for one dataset; ``ok`` only when all three agree.
    Anonymous answers may be up to ``SEBRUS_AUDIT_CACHE_SECONDS`` old (``age_seconds`` says how old)."""
    dataset = datasets.get_dataset(db, dataset_id)
    run = partial(audit_dataset, db, services.handle.ledger, state.blobs, dataset)
    if user is None:
        cached = state.audit_cache.recent(dataset.id, partial(run, record=False))
        return AuditOut.of(cached.report, age_seconds=cached.age_seconds)
    report = run(actor_user_id=user.id)
    state.audit_cache.remember(report)
    return AuditOut.of(report)

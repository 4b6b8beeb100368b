"""Audit: compare a dataset's database rows with the chain and its blobs, and show what disagrees.

Anyone may run it, as with ``GET /api/dataset/{id}/audit``: the point of anchoring is that nobody
has to take the operator's word for the database. Running it is a form (POST) because a signed-in
visitor's run is written to the audit log; the pages you visit (``/audit``, ``/datasets/{id}/audit``)
show when each dataset was last audited, by whom, and with what result. Visitors who are not signed
in share the latest run (as on the API) and write nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from sebrus.chain.errors import LedgerError
from sebrus.db.models import Dataset
from sebrus.services import browse
from sebrus.services import items as item_index
from sebrus.services.accounts.users import usernames
from sebrus.services.audit.consistency import AuditReport, audit_dataset
from sebrus.services.audit.history import audit_runs, last_audit_runs
from sebrus.services.pagination import PageRequest
from sebrus.web.chain_info import chain_services
from sebrus.web.context import Web, WebRequest
from sebrus.web.pages.dataset import dataset_or_404
from sebrus.web.paging import Pager

router = APIRouter()

FINDING_TITLES = {
    "dataset_not_on_chain": "Dataset not on chain",
    "dataset_labels": "Label set differs",
    "events_missing": "Events missing",
    "db_only": "Only in the database",
    "chain_only": "Only on chain",
    "label_mismatch": "Label differs",
    "status_mismatch": "Status differs",
    "contributor_mismatch": "Contributor differs",
    "transaction_mismatch": "Transaction differs",
    "blob_missing": "Image bytes missing",
    "blob_corrupt": "Image bytes corrupted",
}

COUNT_TITLES = {
    "db_items": "Items in the database",
    "chain_items": "Items on chain (from events)",
    "chain_items_not_yet_indexed": "On chain, not indexed yet",
    "chain_item_count": "Items the contract counts",
    "events_scanned": "Events replayed",
    "blobs_checked": "Images re-hashed",
    "orphan_blobs": "Stored files no row refers to (whole store)",
    "read_mismatches": "Image reads refused: bytes did not match their hash",
}


def _count_title(key: str) -> str:
    if key.startswith("outbox_"):
        return f"Uploads {key.removeprefix('outbox_')} in the outbox"
    return COUNT_TITLES.get(key, key.replace("_", " ").capitalize())


AUDIT_PAGE = 20
HISTORY_SHOWN = 10


@router.get("/audit")
def audit_index(web: Web, q: str = "", page: int = 1) -> Response:
    """Every dataset with its latest audit run and a button to run another."""
    pager = Pager.from_page(page, AUDIT_PAGE)
    found = browse.search_datasets(web.db, q, PageRequest(limit=pager.size, offset=pager.offset))
    last = last_audit_runs(web.db, [d.id for d in found.items])
    context = {
        "q": q,
        "datasets": found.items,
        "last": last,
        "names": usernames(web.db, [run.actor_user_id for run in last.values()]),
        "pager": pager.with_total(found.total, {"q": q} if q else {}),
    }
    return web.render("audit_index.html", context)


def _render_audit(
    web: WebRequest,
    dataset: Dataset,
    *,
    report: AuditReport | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    """The dataset's audit page: this run's report, if one just ran, above the dataset's past runs."""
    runs = audit_runs(web.db, dataset.id, limit=HISTORY_SHOWN)
    context: dict[str, Any] = {
        "dataset": dataset,
        "report": report,
        "problem": problem,
        "runs": runs,
        "names": usernames(web.db, [run.actor_user_id for run in runs]),
    }
    if report is not None:
        hashes = [f.content_hash for f in report.findings if f.content_hash]
        context |= {
            "titles": FINDING_TITLES,
            "counts": [(_count_title(key), value) for key, value in report.counts.items()],
            "item_ids": item_index.item_ids(web.db, dataset, hashes),
        }
    return web.render("audit.html", context, status_code=status_code)


@router.get("/datasets/{dataset_id:int}/audit")
def audit_page(web: Web, dataset_id: int) -> Response:
    return _render_audit(web, dataset_or_404(web, dataset_id))


@router.post("/datasets/{dataset_id:int}/audit")
async def run_audit(web: Web, dataset_id: int) -> Response:
    await web.form()
    dataset = dataset_or_404(web, dataset_id)
    services = chain_services(web.request)
    if services is None:
        return _render_audit(
            web, dataset, problem="This server has no chain to audit against.", status_code=503
        )
    user = web.user
    run = partial(audit_dataset, web.db, services.handle.ledger, web.state.blobs, dataset)
    cache = web.state.audit_cache
    try:
        if user is None:
            cached = await run_in_threadpool(cache.recent, dataset.id, partial(run, record=False))
            report = cached.report
        else:
            report = await run_in_threadpool(run, actor_user_id=user.id)
            cache.remember(report)
    except LedgerError as exc:
        return _render_audit(web, dataset, problem=f"The chain could not be read: {exc}", status_code=503)
    return _render_audit(web, dataset, report=report)

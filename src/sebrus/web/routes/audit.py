"""Audit: compare a dataset's database rows with the chain and its blobs, and show what disagrees.

Anyone may run it, as with ``GET /api/dataset/{id}/audit``: the point of anchoring is that nobody
has to take the operator's word for the database. It is a form (POST) because every run is
written to the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from sebrus.chain.errors import LedgerError
from sebrus.db.models import Item
from sebrus.services.consistency import audit_dataset
from sebrus.web.chain_info import chain_services
from sebrus.web.context import Web
from sebrus.web.routes.datasets import dataset_or_404

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
}


def _count_title(key: str) -> str:
    if key.startswith("outbox_"):
        return f"Uploads {key.removeprefix('outbox_')} in the outbox"
    return COUNT_TITLES.get(key, key.replace("_", " ").capitalize())


@router.post("/datasets/{dataset_id:int}/audit")
async def run_audit(web: Web, dataset_id: int) -> Response:
    await web.form()
    dataset = dataset_or_404(web, dataset_id)
    services = chain_services(web.request)
    if services is None:
        context = {
            "dataset": dataset,
            "report": None,
            "problem": "This server has no chain to audit against.",
        }
        return web.render("audit.html", context, status_code=503)
    user = web.user
    try:
        report = await run_in_threadpool(
            audit_dataset,
            web.db,
            services.handle.ledger,
            web.state.blobs,
            dataset,
            actor_user_id=user.id if user is not None else None,
        )
    except LedgerError as exc:
        context = {"dataset": dataset, "report": None, "problem": f"The chain could not be read: {exc}"}
        return web.render("audit.html", context, status_code=503)
    hashes = [f.content_hash for f in report.findings if f.content_hash]
    rows = web.db.execute(
        select(Item.content_hash, Item.id).where(Item.dataset_id == dataset.id, Item.content_hash.in_(hashes))
    )
    item_ids = {content_hash: item_id for content_hash, item_id in rows}
    shown: dict[str, Any] = {
        "dataset": dataset,
        "report": report,
        "problem": None,
        "titles": FINDING_TITLES,
        "counts": [(_count_title(key), value) for key, value in report.counts.items()],
        "item_ids": item_ids,
    }
    return web.render("audit.html", shown)

"""The item page's renderer: routes that show it after a form (the deposit forms) render it here."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Response

from sebrus.db.models import Dataset, Item
from sebrus.services.accounts.users import usernames
from sebrus.services.accounts.wallets import custodial_wallet_of
from sebrus.services.audit.consistency import Finding, audit_item
from sebrus.services.incidents.holds import hold_states
from sebrus.services.review.blindness import shows_contributor
from sebrus.services.review.item_votes import ItemVotes, item_votes
from sebrus.services.scans.item_scan import latest_result
from sebrus.web.chain_info import chain_record, chain_services
from sebrus.web.context import WebRequest
from sebrus.web.errors import PageNotFound

log = logging.getLogger(__name__)


def _audit(web: WebRequest, dataset: Dataset, item: Item) -> list[Finding] | None:
    """The item's own audit (its chain record and its blob); None when the chain cannot be read."""
    services = chain_services(web.request)
    if services is None:
        return None
    try:
        return audit_item(services.handle.ledger, web.state.blobs, dataset, item)
    except Exception as exc:  # a page must render even when the node is down
        log.warning("audit of item %s unavailable: %s", item.id, exc)
        return None


def _votes(web: WebRequest, dataset: Dataset, item: Item) -> ItemVotes | None:
    """The item's ballots as the review network holds them; None when no review network runs here."""
    services = chain_services(web.request)
    reviews = services.link.reviews if services is not None else None
    if reviews is None or not reviews.is_deployed:
        return None
    try:
        return item_votes(web.db, reviews, dataset, item, web.user)
    except Exception as exc:  # a page must render even when the node is down
        log.warning("votes of item %s unavailable: %s", item.id, exc)
        return None


def _pays_deposit(web: WebRequest, item: Item) -> bool:
    """Whether the visitor gets the deposit buttons: the contributor, through the custodial wallet that
    contributed the item (the only wallet the server can pay from)."""
    if web.user is None:
        return False
    wallet = custodial_wallet_of(web.db, web.user)
    return wallet is not None and wallet.address == item.contributor_address


def render_item(
    web: WebRequest, item_id: int, *, notice: str = "", error: str = "", status: int = 200
) -> Response:
    """The item's page, with a notice after a form succeeded, or a refusal and its status after one failed."""
    item = web.db.get(Item, item_id)
    if item is None:
        raise PageNotFound(f"There is no item {item_id}.")
    dataset = web.db.get(Dataset, item.dataset_id)
    assert dataset is not None  # items cascade with their dataset
    record = chain_record(web.request, dataset.address, item.content_hash)
    contributor_shown = shows_contributor(item, dataset, web.user)
    contributor = (
        usernames(web.db, [item.contributor_user_id]).get(item.contributor_user_id or 0)
        if contributor_shown
        else None
    )
    scanned = latest_result(web.db, item)
    context: dict[str, Any] = {
        "scan": scanned[0] if scanned else None,
        "scan_result": scanned[1] if scanned else None,
        "findings": _audit(web, dataset, item),
        "votes": _votes(web, dataset, item),
        "pays_deposit": _pays_deposit(web, item),
        "hold": hold_states(web.db, dataset, [item]).get(item.id),
        "notice": notice,
        "error": error,
    }
    return web.render(
        "item.html",
        {
            **context,
            "item": item,
            "dataset": dataset,
            "contributor_name": contributor,
            "contributor_shown": contributor_shown,
            "record": record,
            "record_status": record.status.name.capitalize() if record is not None else None,
            "record_label": (
                dataset.labels[record.label]
                if record is not None and 0 <= record.label < len(dataset.labels)
                else None
            ),
            "image_url": f"/api/dataset/{dataset.id}/items/{item.content_hash}/image",
            "api_url": f"/api/dataset/{dataset.id}/items/{item.content_hash}",
        },
        status_code=status,
    )

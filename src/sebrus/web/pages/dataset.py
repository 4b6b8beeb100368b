"""The dataset page's renderer and lookup, shared by the routes that re-render it after a form."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import Response

from sebrus.db.models import Dataset, ItemStatus
from sebrus.services import browse, releases
from sebrus.services.accounts.users import usernames
from sebrus.services.addresses import is_hex_address
from sebrus.services.errors import ServiceError
from sebrus.services.federation import config as federation_config
from sebrus.services.federation import queries as federation_queries
from sebrus.services.incidents import monitoring
from sebrus.services.incidents.holds import hold_states
from sebrus.services.pagination import PageRequest
from sebrus.services.review.blindness import shows_contributor
from sebrus.services.review.pool_health import pool_health
from sebrus.services.scans import model as scan_model
from sebrus.services.scans import queries as scan_queries
from sebrus.services.scans import seeds
from sebrus.web import seed_form
from sebrus.web.chain_info import review_chain
from sebrus.web.context import Web, WebRequest
from sebrus.web.errors import PageNotFound
from sebrus.web.paging import Pager
from sebrus.web.policy_form import policy_facts
from sebrus.web.policy_panel import policy_panel

log = logging.getLogger(__name__)
MIB = 1024 * 1024


ITEMS_PAGE = 24
SCANS_SHOWN = 5


def dataset_or_404(web: Web, dataset_id: int) -> Dataset:
    dataset = web.db.get(Dataset, dataset_id)
    if dataset is None:
        raise PageNotFound(f"There is no dataset {dataset_id}.")
    return dataset


def _item_filter(status: str, label: str, contributor: str) -> tuple[browse.ItemFilter, dict[str, str]]:
    """The filter the query string asks for, ignoring values that cannot match rather than failing."""
    chosen: dict[str, str] = {}
    wanted_status = None
    if status in {s.value for s in ItemStatus}:
        wanted_status = ItemStatus(status)
        chosen["status"] = status
    if label:
        chosen["label"] = label[:128]
    address = contributor.strip()
    if is_hex_address(address):  # a filter: anything else is ignored, not refused
        chosen["contributor"] = address
    wanted = browse.ItemFilter(
        status=wanted_status, label=chosen.get("label"), contributor=chosen.get("contributor")
    )
    return wanted, chosen


def _pool_warning(web: WebRequest, dataset: Dataset) -> str | None:
    """The owner's warning when the reward pool runs low (None when fine, or when it cannot be read: the
    page must render with the chain down)."""
    chain = review_chain(web.request)
    if chain is None:
        return None
    try:
        return pool_health(chain, dataset).owner_warning()
    except ServiceError as exc:
        log.info("pool of dataset %s unreadable: %s", dataset.id, exc.message)
        return None


def _federations(web: WebRequest, dataset: Dataset) -> dict[str, Any]:
    """The dataset's federations with their rounds (newest first), and the form's choices."""
    found = federation_queries.federations_of(web.db, dataset)
    return {
        "federations": found,
        "federation_rounds": federation_queries.rounds_of(web.db, found),
        "federation_mechanisms": [(m, m) for m in federation_config.MECHANISMS],
        # ``uploaded`` is not offered: the engine trains the reference CNN only (docs/federated.md).
        "federation_models": [("reference", "The reference CNN")],
        "federation_channels": [("1", "Greyscale"), ("3", "Colour (RGB)")],
        "federation_image_size": federation_config.default_image_size(dataset),
        "federation_rules": [
            ("high-loss-cluster", "Leave out the high-loss cluster (K-Means)"),
            ("none", "Aggregate every client"),
        ],
        "federation_max_rounds": federation_config.MAX_ROUNDS,
    }


def render_dataset(
    web: WebRequest,
    dataset: Dataset,
    *,
    status: str = "",
    label: str = "",
    contributor: str = "",
    page: int = 1,
    notice: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The dataset page; ``notice`` carries a flash (created) or a refused action's error."""
    wanted, chosen = _item_filter(status, label, contributor)
    pager = Pager.from_page(page, ITEMS_PAGE)
    user = web.user
    found = browse.dataset_items(
        web.db, dataset, wanted, PageRequest(limit=pager.size, offset=pager.offset), viewer=user
    )
    shown = {i.id for i in found.items if shows_contributor(i, dataset, user)}
    names = usernames(web.db, [i.contributor_user_id for i in found.items if i.id in shown])
    is_owner = user is not None and dataset.owner_id == user.id
    recent_scans = scan_queries.list_scans(web.db, dataset, PageRequest(limit=SCANS_SHOWN))
    context: dict[str, Any] = {
        "dataset": dataset,
        "status_counts": browse.status_counts(web.db, [dataset.id])[dataset.id],
        "owner": usernames(web.db, [dataset.owner_id]).get(dataset.owner_id or 0),
        "policy_facts": policy_facts(dataset.review_policy),
        "items": found.items,
        "names": names,
        "holds": hold_states(web.db, dataset, found.items),
        "contributor_shown": shown,
        "chosen": chosen,
        "bad_contributor": bool(contributor.strip()) and "contributor" not in chosen,
        "pager": pager.with_total(found.total, chosen),
        "notice": notice or {},
        "contribute_url": "/contribute?" + urlencode({"dataset": dataset.id}),
        "is_owner": is_owner,
        "latest_release": releases.latest_release(web.db, dataset),
        "seed_counts": seed_form.counts_by_label(seeds.seed_rows(web.db, dataset)) if is_owner else {},
        "label_options": [(label, label) for label in dataset.labels],
        "scans": recent_scans.items,
        "scan_total": recent_scans.total,
        "monitor_alert": monitoring.latest_alert(web.db, dataset),
        "scan_model": scan_model.current_model(dataset),
        "max_model_mb": scan_model.MAX_SCAN_MODEL_BYTES // MIB,
        "pool_warning": _pool_warning(web, dataset) if is_owner else None,
        "policy_panel": policy_panel(web, dataset, notice or {}) if is_owner else None,
        **_federations(web, dataset),
    }
    return web.render("dataset.html", context, status_code=status_code)

"""The profile page's renderer, shared with the owner's review forms that re-render it."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from sebrus.db.models import User
from sebrus.services import browse
from sebrus.services.accounts import wallets
from sebrus.services.errors import ServiceError
from sebrus.services.pagination import PageRequest
from sebrus.services.review import deposits as review_deposits
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.deposits_due import deposits_due
from sebrus.web.chain_info import balance_of, review_chain
from sebrus.web.context import WebRequest
from sebrus.web.paging import Pager
from sebrus.web.profile_review import OwnerForm, OwnerPanel, owned_datasets, owner_panel, reviewer_record

CONTRIBUTIONS_PAGE = 25


def _deposits_owed(web: WebRequest, user: User, chain: ReviewChain | None) -> int:
    """How many deposits the "Pay all" button would pay (0 without a review network or custodial wallet)."""
    if chain is None:
        return 0
    try:
        items, _ = review_deposits.due_from(web.db, chain, user)
    except ServiceError:
        return 0
    return len(items)


def render_profile(
    web: WebRequest,
    *,
    page: int = 1,
    notice: str = "",
    notice_for: int | None = None,
    form: OwnerForm | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    user = web.require_user()
    own_wallets = wallets.list_wallets(web.db, user)
    custodial = wallets.custodial_wallet_of(web.db, user)
    pager = Pager.from_page(page, CONTRIBUTIONS_PAGE)
    found = browse.contributions_of(web.db, user, PageRequest(limit=pager.size, offset=pager.offset))
    names = browse.dataset_names(web.db, [i.dataset_id for i in found.items])
    owned, owned_total = owned_datasets(web.db, user)
    chain = review_chain(web.request)
    panels = [owner_panel(web.db, chain, d) if chain is not None else OwnerPanel(d) for d in owned]
    page_error = error
    if form is not None and form.errors and form.dataset_id not in {d.id for d in owned}:
        page_error = next(iter(form.errors.fields.values()))  # a dataset this page does not show
    context: dict[str, Any] = {
        "wallets": [
            {"wallet": w, "balance": balance_of(web.request, w.address) if w is custodial else None}
            for w in own_wallets
        ],
        "custodial": custodial,
        "balance": balance_of(web.request, custodial.address) if custodial is not None else None,
        "outcomes": browse.outcomes_of(web.db, user),
        "contributions": found.items,
        "deposits_due": deposits_due(web.db, found.items),
        "deposits_owed": _deposits_owed(web, user, chain),
        "dataset_names": names,
        "queued": browse.queued_contributions(web.db, [w.address for w in own_wallets]),
        "pager": pager.with_total(found.total, {}),
        "review_available": chain is not None,
        "record": reviewer_record(web.db, chain, user) if chain is not None else None,
        "owned": owned,
        "owned_total": owned_total,
        "panels": panels,
        "notice": notice,
        "notice_for": notice_for,
        "form": form or OwnerForm(dataset_id=0),
        "page_error": page_error,
    }
    return web.render("profile.html", context, status_code=status)

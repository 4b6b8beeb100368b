"""Profile: who you are here, your custodial wallet and its balance, and what became of your uploads."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sebrus.services import browse, wallets
from sebrus.services.pagination import PageRequest
from sebrus.web.chain_info import balance_of
from sebrus.web.context import Web
from sebrus.web.paging import Pager

router = APIRouter()

CONTRIBUTIONS_PAGE = 25


@router.get("/profile")
def profile(web: Web, page: int = 1) -> Response:
    user = web.require_user()
    own_wallets = wallets.list_wallets(web.db, user)
    custodial = wallets.custodial_wallet_of(web.db, user)
    pager = Pager.from_page(page, CONTRIBUTIONS_PAGE)
    found = browse.contributions_of(web.db, user, PageRequest(limit=pager.size, offset=pager.offset))
    names = browse.dataset_names(web.db, [i.dataset_id for i in found.items])
    return web.render(
        "profile.html",
        {
            "wallets": [
                {"wallet": w, "balance": balance_of(web.request, w.address) if w is custodial else None}
                for w in own_wallets
            ],
            "custodial": custodial,
            "balance": balance_of(web.request, custodial.address) if custodial is not None else None,
            "outcomes": browse.outcomes_of(web.db, user),
            "contributions": found.items,
            "dataset_names": names,
            "queued": browse.queued_contributions(web.db, [w.address for w in own_wallets]),
            "owned": browse.owned_datasets(web.db, user),
            "pager": pager.with_total(found.total, {}),
        },
    )

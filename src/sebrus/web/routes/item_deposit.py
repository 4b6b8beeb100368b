"""An item's review deposit from its page: the contributor pays it, and takes it back once approved.

Without these forms a contributor who uses only the web pages could never open their item to review
when the dataset's policy asks a deposit. Both forms call ``services/review_deposits.py``, which
refuses anyone but the contributor (403, ``NotContributor``) and every request the contract would
refuse, before anything is sent. A success redirects (303) to the item's page with a notice; a
refusal renders the page again with its message and 4xx status.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.api.errors import status_code_for
from sebrus.db.models import Dataset, Item
from sebrus.services import review_deposits
from sebrus.services.errors import InvalidInput, ServiceError
from sebrus.web.chain_info import review_chain
from sebrus.web.context import Web, WebRequest
from sebrus.web.errors import PageNotFound
from sebrus.web.routes.items import render_item

router = APIRouter()


async def _act(web: WebRequest, item_id: int, action: str) -> Response:
    web.require_user()
    await web.form()  # only the CSRF token: the item is named by the path
    # The chain calls block: run them off the event loop.
    return await run_in_threadpool(_act_now, web, item_id, action)


def _act_now(web: WebRequest, item_id: int, action: str) -> Response:
    user = web.require_user()
    item = web.db.get(Item, item_id)
    if item is None:
        raise PageNotFound(f"There is no item {item_id}.")
    dataset = web.db.get(Dataset, item.dataset_id)
    assert dataset is not None  # items cascade with their dataset
    try:
        chain = review_chain(web.request)
        if chain is None:
            raise InvalidInput("Staked reviewing is not running on this server, so it takes no deposits.")
        act = review_deposits.pay if action == "deposit" else review_deposits.claim
        act(web.db, chain, dataset, user, item.content_hash)
    except ServiceError as exc:
        web.db.rollback()
        return render_item(web, item_id, error=exc.message, status=status_code_for(exc))
    return web.finish(RedirectResponse(f"/items/{item_id}?done={action}", status_code=303))


@router.post("/items/{item_id:int}/deposit")
async def pay_deposit(web: Web, item_id: int) -> Response:
    return await _act(web, item_id, "deposit")


@router.post("/items/{item_id:int}/deposit/claim")
async def claim_deposit(web: Web, item_id: int) -> Response:
    return await _act(web, item_id, "deposit-claim")

"""An item's review deposit from its page: the contributor pays it, and takes it back once approved;
and the profile's button that pays every deposit due at once.

Without these forms a contributor who uses only the web pages could never open their item to review
when the dataset's policy asks a deposit. Both forms call ``services/review/deposits.py``, which
refuses anyone but the contributor (403, ``NotContributor``) and every request the contract would
refuse, before anything is sent. A success redirects (303) to the item's page with a notice; a
refusal renders the page again with its message and 4xx status.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from sebrus.db.models import Dataset, Item, User
from sebrus.services.errors import InvalidInput
from sebrus.services.review import deposits as review_deposits
from sebrus.web.chain_info import review_chain
from sebrus.web.context import Web, WebRequest
from sebrus.web.errors import PageNotFound
from sebrus.web.form_actions import submit_form
from sebrus.web.pages.item import render_item
from sebrus.web.pages.profile import render_profile

router = APIRouter()


async def _act(web: WebRequest, item_id: int, action: str) -> Response:
    # The form holds only the CSRF token: the item is named by the path.
    return await submit_form(web, partial(_carry_out, web, item_id, action), partial(_refused, web, item_id))


def _carry_out(web: WebRequest, item_id: int, action: str, user: User, form: FormData) -> str:
    item = web.db.get(Item, item_id)
    if item is None:
        raise PageNotFound(f"There is no item {item_id}.")
    dataset = web.db.get(Dataset, item.dataset_id)
    assert dataset is not None  # items cascade with their dataset
    chain = review_chain(web.request)
    if chain is None:
        raise InvalidInput("Staked reviewing is not running on this server, so it takes no deposits.")
    act = review_deposits.pay if action == "deposit" else review_deposits.claim
    act(web.db, chain, dataset, user, item.content_hash)
    return f"/items/{item_id}?done={action}"


def _refused(web: WebRequest, item_id: int, form: FormData, message: str, status: int) -> Response:
    return render_item(web, item_id, error=message, status=status)


@router.post("/items/{item_id:int}/deposit")
async def pay_deposit(web: Web, item_id: int) -> Response:
    return await _act(web, item_id, "deposit")


@router.post("/profile/deposits")
async def pay_all_deposits(web: Web) -> Response:
    """The profile's "Pay all due deposits": every dataset, one depositBatch each (per item on
    older reviews)."""
    return await submit_form(web, partial(_pay_all, web), partial(_profile_refused, web))


def _pay_all(web: WebRequest, user: User, form: FormData) -> str:
    chain = review_chain(web.request)
    if chain is None:
        raise InvalidInput("Staked reviewing is not running on this server, so it takes no deposits.")
    review_deposits.pay_all(web.db, chain, user)
    return "/profile?done=deposits#list-heading"


def _profile_refused(web: WebRequest, form: FormData, message: str, status: int) -> Response:
    return render_profile(web, error=message, status=status)


@router.post("/items/{item_id:int}/deposit/claim")
async def claim_deposit(web: Web, item_id: int) -> Response:
    return await _act(web, item_id, "deposit-claim")

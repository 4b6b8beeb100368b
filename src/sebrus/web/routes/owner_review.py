"""The owner's review tools on the profile: add or remove an allow-listed voter, fund or withdraw the pool.

Each form is CSRF-checked, refused with 403 unless the visitor owns the dataset (the profile shows
these forms to owners only; anyone may still fund a pool through the API), and carried out by
``services/review/owner.py`` with the owner's custodial wallet. Success answers 303 back to the
dataset's section of the profile; a refusal shows the profile again with the message beside the
field and the refusal's 4xx status, keeping what was typed.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.datastructures import FormData

from sebrus import primitives
from sebrus.db.models import Dataset, User
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import InvalidInput, NotFound
from sebrus.services.review import owner as review_owner
from sebrus.web.chain_info import review_chain
from sebrus.web.context import Web, WebRequest
from sebrus.web.form_actions import submit_form
from sebrus.web.forms import text
from sebrus.web.pages.profile import render_profile
from sebrus.web.profile_review import OwnerForm

router = APIRouter()

DatasetId = Annotated[int, Path(ge=1, le=2**63 - 1)]

# action -> (the form field its refusals sit beside, what the owner may not do otherwise, done key)
ACTIONS = {
    "add": ("voter", "manage the reviewers of", "voter-added"),
    "remove": ("remove", "manage the reviewers of", "voter-removed"),
    "fund": ("fund_eth", "fund the pool of", "funded"),
    "withdraw": ("withdraw_eth", "withdraw from the pool of", "withdrawn"),
}


def eth_to_wei(raw: str, name: str) -> int:
    """An amount the owner typed in ETH, as wei (``primitives.eth_to_wei``); refusals name the form field."""
    try:
        return primitives.eth_to_wei(raw)
    except ValueError as refused:
        raise InvalidInput(str(refused), field=name) from None


async def _submit(web: WebRequest, dataset_id: int, action: str) -> Response:
    return await submit_form(
        web, partial(_carry_out, web, dataset_id, action), partial(_refused, web, dataset_id, action)
    )


def _typed(form: FormData, action: str) -> str:
    """What the owner typed: the voter to add or remove (the remove button names it), else the amount."""
    return text(form, "voter" if action == "remove" else ACTIONS[action][0]).strip()


def _carry_out(web: WebRequest, dataset_id: int, action: str, user: User, form: FormData) -> str:
    field, verb, done = ACTIONS[action]
    typed = _typed(form, action)
    dataset = web.db.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"Dataset {dataset_id} not found.")
    require_owner(web.db, dataset, user, verb)
    chain = review_chain(web.request)
    if chain is None:
        raise InvalidInput("The review network is not running on this server.")
    if action in ("add", "remove"):
        if not typed:
            raise InvalidInput("Name a user, or a wallet address starting with 0x.")
        review_owner.set_voter(web.db, chain, dataset, user, typed, action == "add")
    else:
        amount = eth_to_wei(typed, field)
        move = review_owner.fund_pool if action == "fund" else review_owner.withdraw_pool
        move(web.db, chain, dataset, user, amount)
    return f"/profile?done={done}&dataset={dataset_id}#dataset-{dataset_id}"


def _refused(
    web: WebRequest, dataset_id: int, action: str, form: FormData, message: str, status: int
) -> Response:
    """The profile again with the message beside the field, keeping what was typed (not a removed voter)."""
    field = ACTIONS[action][0]
    state = OwnerForm(dataset_id, values={field: _typed(form, action)} if action != "remove" else {})
    state.errors.add(field, message.replace("`", ""))
    return render_profile(web, form=state, status=status)


@router.post("/profile/datasets/{dataset_id}/voters")
async def add_voter(web: Web, dataset_id: DatasetId) -> Response:
    return await _submit(web, dataset_id, "add")


@router.post("/profile/datasets/{dataset_id}/voters/remove")
async def remove_voter(web: Web, dataset_id: DatasetId) -> Response:
    return await _submit(web, dataset_id, "remove")


@router.post("/profile/datasets/{dataset_id}/pool/fund")
async def fund_pool(web: Web, dataset_id: DatasetId) -> Response:
    return await _submit(web, dataset_id, "fund")


@router.post("/profile/datasets/{dataset_id}/pool/withdraw")
async def withdraw_pool(web: Web, dataset_id: DatasetId) -> Response:
    return await _submit(web, dataset_id, "withdraw")

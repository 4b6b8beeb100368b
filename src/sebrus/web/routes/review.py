"""Review: the reviewer's blind queue, votes with their stake, commit and reveal, and claims waiting.

The page calls the same services as ``/api/dataset/{id}/review`` (votes are signed by the visitor's
custodial wallet); forms carry the session's CSRF token, and every answer to a form is a redirect
back to the queue (303) or the page again with the refusal's message and its 4xx status. The page
vote (``/review/votes``, every row of the queue page in one submission, ``review.bulk_votes``)
answers with the page itself, listing each row's outcome and the settlement time. With a
browser wallet, ``static/js/review_wallet.js`` takes over the forms and votes through the wallet
routes of the API instead (``api/routers/review_wallet.py``). On a review that takes signed ballots
(version 3), the page shows the visitor's own review bond (where page votes' stakes and payouts sit)
and a button that withdraws what is available (``/review/bond/withdraw``, ``review.bonds``).
"Claim all" (``/review/claims``) claims every payout waiting on the chosen dataset at once
(``review.claim_all``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sebrus.db.models import Dataset, User
from sebrus.http.errors import status_code_for
from sebrus.primitives import format_eth
from sebrus.services.accounts.wallets import custodial_wallet_of
from sebrus.services.errors import InvalidInput, ServiceError
from sebrus.services.review import ballots as review_ballots
from sebrus.services.review import bonds, bulk_votes, claim_all, no_ballot
from sebrus.services.review import queries as review_queries
from sebrus.services.review import votes as review_votes
from sebrus.services.review.bulk_votes import BulkResult, Decision
from sebrus.services.review.chain import addresses_of
from sebrus.web.chain_info import review_chain, served_network
from sebrus.web.context import Web, WebRequest
from sebrus.web.form_actions import submit_form
from sebrus.web.forms import text

router = APIRouter()

DATASETS_SHOWN = 100
BULK_FIELD = "vote:"  # the page vote's radio groups: vote:<sha256> = approve | reject | skip
DONE = {
    "vote": "Your vote is in.",
    "commit": "Your vote is committed. Reveal it here once the commit phase ends.",
    "reveal": "Your vote is revealed.",
    "claim": "Claimed: the payout is in your wallet.",
    "claim-all": (
        "Claimed every payout waiting on this dataset. On a review of version 3 or later it is in your "
        "review bond: withdraw it below."
    ),
    "bond-withdraw": "Withdrawn: your bond's available money is in your wallet.",
}


def eth(wei: int | str) -> str:
    return format_eth(int(wei))


@router.get("/review")
def review(web: Web, dataset: int | None = None, done: str = "") -> Response:
    web.require_user()
    return _page(web, dataset, notice=DONE.get(done, ""))


def _page(
    web: WebRequest,
    dataset_id: int | None,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
    bulk: BulkResult | None = None,
) -> Response:
    user = web.require_user()
    chain = review_chain(web.request)
    if chain is None:
        return web.render("review.html", {"available": False}, status_code=status)
    datasets = review_ballots.datasets_under_review(web.db, DATASETS_SHOWN)
    chosen = web.db.get(Dataset, dataset_id) if dataset_id is not None else None
    context: dict[str, Any] = {
        "available": True,
        "datasets": datasets,
        "chosen": chosen,
        "notice": notice,
        "error": error,
        "queue": [],
        "bulk": bulk,
        "to_reveal": [],
        "claims": [],
        "bond": None,
        # For review_wallet.js: the chain a browser wallet must be on, and whose ballot is whose.
        "chain_id": chain.link.ledger.chain_id,
        "wallet_network": served_network(web.request),
        "has_custodial": custodial_wallet_of(web.db, user) is not None,
        "wallet_kinds": {w.address: w.kind.value for w in user.wallets},
    }
    try:
        if chosen is not None:
            context["queue"] = [
                {
                    "item": e.item,
                    "stake": eth(e.terms.stake_wei),
                    "reward": eth(e.terms.reward_wei),
                    "commit_reveal": e.terms.commit_reveal,
                    "votes_needed": e.votes_needed,
                    "can_vote": e.can_vote,
                    "waiting_for": e.waiting_for,
                }
                for e in review_queries.queue(web.db, chain, chosen, user, 20)
            ]
            context["to_reveal"] = review_ballots.ballots_to_reveal(web.db, chosen, addresses_of(user))
        names = {d.id: d.name for d in datasets}
        context["claims"] = [
            {
                "claim": c,
                "amount": eth(c.amount_wei),
                "dataset_name": names.get(c.dataset_id, str(c.dataset_id)),
            }
            for c in review_queries.claims_waiting(web.db, chain, user)
        ]
    except ServiceError as exc:
        context["error"] = context["error"] or exc.message
    if chosen is not None and context["has_custodial"]:
        try:  # an older review has no bonds: the panel is simply left out
            context["bond"] = eth(bonds.show(web.db, chain, chosen, user).available_wei)
        except ServiceError:
            context["bond"] = None
    return web.render("review.html", context, status_code=status)


async def _act(web: WebRequest, action: str) -> Response:
    return await submit_form(web, partial(_carry_out, web, action), partial(_refused, web))


def _dataset_id(form: FormData) -> int | None:
    raw = text(form, "dataset")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None


def _carry_out(web: WebRequest, action: str, user: User, form: FormData) -> str:
    chain = review_chain(web.request)
    dataset_id = _dataset_id(form)
    dataset = web.db.get(Dataset, dataset_id) if dataset_id is not None else None
    if dataset is None or chain is None:
        raise InvalidInput("Choose a dataset to review.")
    sha256 = text(form, "sha256")
    if action == "bond-withdraw":  # the visitor's own bond: everything available
        bonds.withdraw(web.db, chain, dataset, user)
    elif action == "claim-all":  # one relayed claimBatch on v3+, one claim each on older reviews
        claim_all.claim_all(web.db, chain, dataset, user)
    elif action in ("vote", "commit"):
        side = text(form, "side")
        if side not in ("approve", "reject"):
            raise InvalidInput("Choose approve or reject.")
        act = review_votes.vote if action == "vote" else review_votes.commit
        act(web.db, chain, dataset, user, sha256, side == "approve")
    elif action == "reveal":
        with no_ballot.explained(web.db, dataset, user, sha256, "reveal"):
            review_votes.reveal(web.db, chain, dataset, user, sha256)
    else:
        raw_round = text(form, "round")
        round_index = (
            int(raw_round) if raw_round.isascii() and raw_round.isdigit() and len(raw_round) < 11 else None
        )
        with no_ballot.explained(web.db, dataset, user, sha256, "claim"):
            review_votes.claim(web.db, chain, dataset, user, sha256, round_index)
    return f"/review?dataset={dataset_id}&done={action}"


def _refused(web: WebRequest, form: FormData, message: str, status: int) -> Response:
    return _page(web, _dataset_id(form), error=message, status=status)


@router.post("/review/votes")
async def vote_page(web: Web) -> Response:
    """The queue page's one submission: a vote on every row marked approve or reject.

    The answer is the page itself, with each row's outcome and the settlement time, not a redirect: the
    outcomes are this submission's alone. Submitting it again is harmless: every item already voted on
    is refused by name and nothing is staked twice."""
    user = web.require_user()
    form = await web.form()
    return await run_in_threadpool(_vote_page, web, user, form)


def _vote_page(web: WebRequest, user: User, form: FormData) -> Response:
    dataset_id = _dataset_id(form)
    try:
        chain = review_chain(web.request)
        dataset = web.db.get(Dataset, dataset_id) if dataset_id is not None else None
        if dataset is None or chain is None:
            raise InvalidInput("Choose a dataset to review.")
        decisions = page_decisions(form)
        result = bulk_votes.vote_in_bulk(web.db, chain, dataset, user, decisions)
    except ServiceError as exc:
        web.db.rollback()
        return _page(web, dataset_id, error=exc.message, status=status_code_for(exc))
    return _page(web, dataset_id, bulk=result)


def page_decisions(form: FormData) -> list[Decision]:
    """The rows marked approve or reject (``vote:<sha256>``); skipped rows are left out."""
    decisions: list[Decision] = []
    for key, value in form.multi_items():
        if not key.startswith(BULK_FIELD) or not isinstance(value, str) or value == "skip":
            continue
        if value not in ("approve", "reject"):
            raise InvalidInput("Each row of the page vote is approve, reject or skip.")
        decisions.append(Decision(key.removeprefix(BULK_FIELD), value == "approve"))
    if not decisions:
        raise InvalidInput("Mark at least one item approve or reject before submitting the page.")
    return decisions


@router.post("/review/vote")
async def vote(web: Web) -> Response:
    return await _act(web, "vote")


@router.post("/review/commit")
async def commit(web: Web) -> Response:
    return await _act(web, "commit")


@router.post("/review/reveal")
async def reveal(web: Web) -> Response:
    return await _act(web, "reveal")


@router.post("/review/claim")
async def claim(web: Web) -> Response:
    return await _act(web, "claim")


@router.post("/review/claims")
async def claim_every_payout(web: Web) -> Response:
    return await _act(web, "claim-all")


@router.post("/review/bond/withdraw")
async def withdraw_bond(web: Web) -> Response:
    return await _act(web, "bond-withdraw")

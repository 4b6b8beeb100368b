"""Review: the reviewer's loop under ``/api/dataset/{id}/review`` and ``/api/review``, and the owner's tools.

Votes, commits, reveals, claims and pool funding are signed by the caller's custodial wallet; the
contract's refusals come back as 4xx whose ``status`` starts with the contract's error name
(``AlreadyVoted: ...``). Amounts are wei, as strings in responses (they exceed JSON's safe integers).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from sebrus.api.deps import CurrentUser, DbSession, OptionalUser
from sebrus.api.routers.items import item_json
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.review import AmountIn, PolicyIn, RoundIn, VoteIn, VoterIn
from sebrus.chain.review_types import PoolBooks, ReviewTerms
from sebrus.db.models import Dataset, ReviewVote
from sebrus.services.review import deposits, quality
from sebrus.services.review import owner as review_owner
from sebrus.services.review import votes as review_votes
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.policy import policy_from_terms

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)
mine_router = APIRouter(prefix="/api/review", tags=["review"], responses=ERROR_RESPONSES)

Sha = Annotated[str, Path(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")]


def review_chain(request: Request) -> ReviewChain:
    services = getattr(request.app.state, "chain", None)
    if services is None:
        raise HTTPException(503, "This server has no chain attached; review is unavailable.")
    return ReviewChain(link=services.link, sync=services.indexer.sync)


def _dataset(db: DbSession, dataset_id: int) -> Dataset:
    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise HTTPException(404, f"Dataset {dataset_id} not found.")
    return dataset


def terms_json(terms: ReviewTerms) -> dict[str, Any]:
    policy = policy_from_terms(terms)
    for key in ("stake_wei", "reward_wei", "deposit_wei"):
        policy[key] = str(policy[key])
    return policy


def books_json(books: PoolBooks) -> dict[str, str]:
    return {
        "pool_wei": str(books.pool_wei),
        "stakes_held_wei": str(books.stakes_held_wei),
        "rewards_reserved_wei": str(books.rewards_reserved_wei),
        "deposits_held_wei": str(books.deposits_held_wei),
        "balance_wei": str(books.balance_wei),
    }


def vote_json(vote: ReviewVote, claimed_wei: str | None = None) -> dict[str, Any]:
    return {
        "content_hash": vote.content_hash,
        "round": vote.round,
        "voter": vote.voter_address,
        "voter_user_id": vote.voter_user_id,
        "side": vote.side,
        "revealed": vote.side is not None,
        "stake_wei": vote.stake_wei,
        "round_state": vote.round_state,
        "cast_at": vote.cast_at.isoformat(),
        "revealed_at": vote.revealed_at.isoformat() if vote.revealed_at else None,
        "tx_hash": vote.tx_hash,
        "block_number": vote.block_number,
        "claimed_wei": claimed_wei,
    }


# ---------------------------------------------------------------------- policy and pool


@router.get("/policy")
def read_policy(request: Request, dataset_id: int, db: DbSession) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    review, policy, versions = review_owner.current_policy(review_chain(request), dataset)
    return {
        "status": "Success.",
        "review": review,
        "version": policy.version,
        "versions": versions,
        "effective_from": policy.effective_from,
        "policy": terms_json(policy.terms),
    }


@router.put("/policy")
def change_policy(
    request: Request, dataset_id: int, body: PolicyIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    policy = review_owner.set_policy(db, review_chain(request), dataset, user, body.policy)
    return {
        "status": "Policy changed: it applies to items submitted from now on.",
        "version": policy.version,
        "effective_from": policy.effective_from,
        "policy": terms_json(policy.terms),
    }


@router.get("/pool")
def read_pool(request: Request, dataset_id: int, db: DbSession) -> dict[str, Any]:
    view = review_owner.pool_view(db, review_chain(request), _dataset(db, dataset_id))
    return {
        "status": "Success.",
        "books": books_json(view.books),
        "funded_wei": str(view.funded_wei),
        "withdrawn_wei": str(view.withdrawn_wei),
        "paid_out_wei": str(view.paid_out_wei),
        "slashed_to_pool_wei": str(view.slashed_to_pool_wei),
        "votes": view.votes,
        "claims": view.claims,
        "recent": [
            {
                "kind": t.kind,
                "address": t.address,
                "content_hash": t.content_hash,
                "amount_wei": t.amount_wei,
                "tx_hash": t.tx_hash,
                "block_number": t.block_number,
                "at": t.at.isoformat(),
            }
            for t in view.recent
        ],
    }


@router.post("/pool/fund")
def fund_pool(
    request: Request, dataset_id: int, body: AmountIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    books = review_owner.fund_pool(db, review_chain(request), _dataset(db, dataset_id), user, body.amount_wei)
    return {"status": "Pool funded.", "books": books_json(books)}


@router.post("/pool/withdraw")
def withdraw_pool(
    request: Request, dataset_id: int, body: AmountIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    books = review_owner.withdraw_pool(
        db, review_chain(request), _dataset(db, dataset_id), user, body.amount_wei
    )
    return {"status": "Withdrawn from the pool.", "books": books_json(books)}


# ---------------------------------------------------------------------- allow-list


@router.get("/voters")
def list_voters(dataset_id: int, db: DbSession) -> dict[str, Any]:
    rows = review_owner.allowed_voters(db, _dataset(db, dataset_id))
    return {"status": "Success.", "voters": [{"address": r.address, "user_id": r.user_id} for r in rows]}


@router.post("/voters")
def allow_voter(
    request: Request, dataset_id: int, body: VoterIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    address = review_owner.set_voter(
        db, review_chain(request), _dataset(db, dataset_id), user, body.voter, True
    )
    return {"status": "Voter allowed.", "address": address}


@router.delete("/voters/{voter}")
def disallow_voter(
    request: Request,
    dataset_id: int,
    voter: Annotated[str, Path(min_length=1, max_length=64)],
    db: DbSession,
    user: CurrentUser,
) -> dict[str, Any]:
    address = review_owner.set_voter(db, review_chain(request), _dataset(db, dataset_id), user, voter, False)
    return {"status": "Voter removed from the allow-list.", "address": address}


# ---------------------------------------------------------------------- the reviewer's loop


@router.get("/queue")
def read_queue(
    request: Request,
    dataset_id: int,
    db: DbSession,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=review_votes.MAX_QUEUE)] = 20,
) -> dict[str, Any]:
    """Items waiting for your vote, oldest first; blind: no tallies, never your own contributions."""
    dataset = _dataset(db, dataset_id)
    entries = review_votes.queue(db, review_chain(request), dataset, user, limit)
    return {
        "status": "Success.",
        "items": [
            {
                "item": item_json(e.item),
                "image_url": f"/api/dataset/{dataset.id}/items/{e.item.content_hash}/image",
                "mode": "commit-reveal" if e.terms.commit_reveal else "plain",
                "stake_wei": str(e.terms.stake_wei),
                "reward_wei": str(e.terms.reward_wei),
                "votes_needed": e.votes_needed,
                "served_at": e.served_at.isoformat(),
            }
            for e in entries
        ],
    }


def _receipt_json(receipt: review_votes.VoteReceipt, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "tx_hash": receipt.tx_hash,
        "item": item_json(receipt.item),
        "vote": vote_json(receipt.vote) if receipt.vote is not None else None,
    }


@router.post("/items/{sha256}/vote")
def cast_vote(
    request: Request, dataset_id: int, sha256: Sha, body: VoteIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    receipt = review_votes.vote(
        db, review_chain(request), _dataset(db, dataset_id), user, sha256, body.approve
    )
    return _receipt_json(receipt, "Vote cast.")


@router.post("/items/{sha256}/commit")
def commit_vote(
    request: Request, dataset_id: int, sha256: Sha, body: VoteIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    receipt = review_votes.commit(
        db, review_chain(request), _dataset(db, dataset_id), user, sha256, body.approve
    )
    return _receipt_json(receipt, "Vote committed: reveal it once the commit phase ends.")


@router.post("/items/{sha256}/reveal")
def reveal_vote(
    request: Request, dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    receipt = review_votes.reveal(db, review_chain(request), _dataset(db, dataset_id), user, sha256)
    return _receipt_json(receipt, "Vote revealed.")


@router.post("/items/{sha256}/finalize")
def finalize_item(
    request: Request, dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    item = review_votes.finalize(db, review_chain(request), _dataset(db, dataset_id), user, sha256)
    return {"status": "Finalized.", "item": item_json(item)}


@router.post("/items/{sha256}/deposit")
def pay_deposit(
    request: Request, dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """Pay your item's review deposit (the policy's ``deposit_wei``) from your custodial wallet."""
    paid = deposits.pay(db, review_chain(request), _dataset(db, dataset_id), user, sha256)
    return _deposit_json(paid, "Deposit paid: the item is open to review.")


@router.post("/items/{sha256}/deposit/claim")
def claim_deposit(
    request: Request, dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """Take back the deposit of your approved item, into your custodial wallet."""
    claimed = deposits.claim(db, review_chain(request), _dataset(db, dataset_id), user, sha256)
    return _deposit_json(claimed, "Deposit refunded.")


def _deposit_json(receipt: deposits.DepositReceipt, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "item": item_json(receipt.item),
        "amount_wei": str(receipt.amount_wei),
        "tx_hash": receipt.tx_hash,
    }


@router.post("/items/{sha256}/claim")
def claim_payout(
    request: Request, dataset_id: int, sha256: Sha, body: RoundIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    dataset = _dataset(db, dataset_id)
    claimed = review_votes.claim(db, review_chain(request), dataset, user, sha256, body.round)
    return {
        "status": "Claimed.",
        "content_hash": claimed.content_hash,
        "round": claimed.round,
        "amount_wei": str(claimed.amount_wei),
        "tx_hash": claimed.tx_hash,
    }


@router.get("/items/{sha256}/votes")
def item_votes(dataset_id: int, sha256: Sha, db: DbSession, user: OptionalUser) -> dict[str, Any]:
    """All ballots once the item is resolved; before that only your own (the vote is blind)."""
    dataset = _dataset(db, dataset_id)
    item, votes, complete = review_votes.history(db, dataset, user, sha256)
    claims = review_votes.claims_by_ballot(db, dataset, item.content_hash)
    return {
        "status": "Success.",
        "item": item_json(item),
        "complete": complete,
        "votes": [
            vote_json(v, c.amount_wei if (c := claims.get((v.round, v.voter_address))) else None)
            for v in votes
        ],
    }


@router.get("/reviewers")
def reviewers(dataset_id: int, db: DbSession) -> dict[str, Any]:
    """Each voter's coherence with final outcomes, counts, earnings, reputation and flags."""
    rows = quality.reviewer_quality(db, _dataset(db, dataset_id))
    return {
        "status": "Success.",
        "reviewers": [
            {
                "voter": r.voter_address,
                "user_id": r.user_id,
                "username": r.username,
                "votes": r.votes,
                "approvals": r.approvals,
                "rejections": r.rejections,
                "unrevealed": r.unrevealed,
                "decided": r.decided,
                "coherent": r.coherent,
                "coherence": r.coherence,
                "approve_share": r.approve_share,
                "median_seconds_to_vote": r.median_seconds_to_vote,
                "staked_wei": str(r.staked_wei),
                "claimed_wei": str(r.claimed_wei),
                "net_wei": str(r.net_wei),
                "reputation": r.reputation,
                "flags": r.flags,
            }
            for r in rows
        ],
    }


@mine_router.get("/claims")
def claims_waiting(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    dataset_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    """Payouts waiting for you across datasets (or one): winning, refunded or failed-round ballots."""
    dataset = _dataset(db, dataset_id) if dataset_id is not None else None
    waiting = review_votes.claims_waiting(db, review_chain(request), user, dataset)
    return {
        "status": "Success.",
        "claims": [
            {
                "dataset_id": w.dataset_id,
                "content_hash": w.content_hash,
                "round": w.round,
                "amount_wei": str(w.amount_wei),
            }
            for w in waiting
        ],
    }

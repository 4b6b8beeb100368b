"""Review: the reviewer's loop under ``/api/dataset/{id}/review`` and ``/api/review``, and the owner's tools.

Votes, commits, reveals, claims and pool funding are signed by the caller's custodial wallet; the
contract's refusals come back as 4xx whose ``status`` starts with the contract's error name
(``AlreadyVoted: ...``). Amounts are wei, as strings in responses (they exceed JSON's safe integers).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sebrus.api.params import Sha
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.items import item_json
from sebrus.api.schemas.review import (
    AmountIn,
    ClaimOut,
    ClaimsWaiting,
    DepositOut,
    DepositsPaidOut,
    ItemFinalized,
    ItemVotesOut,
    PolicyChanged,
    PolicyIn,
    PolicyRead,
    PoolChanged,
    PoolRead,
    QueueOut,
    ReviewerList,
    RoundIn,
    VoteIn,
    VoterChanged,
    VoteReceiptOut,
    VoterIn,
    VoterList,
    books_json,
    deposit_answer,
    deposits_paid_answer,
    receipt_answer,
    terms_json,
    vote_json,
)
from sebrus.api.schemas.review_bulk import BulkVotesIn, BulkVotesOut, bulk_answer
from sebrus.http.deps import CurrentUser, DbSession, OptionalUser, ReviewChainDep, dataset_or_404
from sebrus.services.review import bulk_votes, deposits, no_ballot, quality
from sebrus.services.review import owner as review_owner
from sebrus.services.review import queries as review_queries
from sebrus.services.review import votes as review_votes
from sebrus.services.review.blindness import shows_contributor

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)
mine_router = APIRouter(prefix="/api/review", tags=["review"], responses=ERROR_RESPONSES)

# ---------------------------------------------------------------------- policy and pool


@router.get("/policy")
def read_policy(dataset_id: int, db: DbSession, chain: ReviewChainDep) -> PolicyRead:
    dataset = dataset_or_404(db, dataset_id)
    review, policy, versions = review_owner.current_policy(chain, dataset)
    return PolicyRead.model_validate(
        {
            "status": "Success.",
            "review": review,
            "version": policy.version,
            "versions": versions,
            "effective_from": policy.effective_from,
            "policy": terms_json(policy.terms),
        }
    )


@router.put("/policy")
def change_policy(
    dataset_id: int, body: PolicyIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> PolicyChanged:
    dataset = dataset_or_404(db, dataset_id)
    policy = review_owner.set_policy(db, chain, dataset, user, body.policy)
    return PolicyChanged.model_validate(
        {
            "status": "Policy changed: it applies to items submitted from now on.",
            "version": policy.version,
            "effective_from": policy.effective_from,
            "policy": terms_json(policy.terms),
        }
    )


@router.get("/pool")
def read_pool(dataset_id: int, db: DbSession, chain: ReviewChainDep) -> PoolRead:
    view = review_owner.pool_view(db, chain, dataset_or_404(db, dataset_id))
    return PoolRead.model_validate(
        {
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
    )


@router.post("/pool/fund")
def fund_pool(
    dataset_id: int, body: AmountIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> PoolChanged:
    books = review_owner.fund_pool(db, chain, dataset_or_404(db, dataset_id), user, body.amount_wei)
    return PoolChanged.model_validate({"status": "Pool funded.", "books": books_json(books)})


@router.post("/pool/withdraw")
def withdraw_pool(
    dataset_id: int, body: AmountIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> PoolChanged:
    books = review_owner.withdraw_pool(db, chain, dataset_or_404(db, dataset_id), user, body.amount_wei)
    return PoolChanged.model_validate({"status": "Withdrawn from the pool.", "books": books_json(books)})


# ---------------------------------------------------------------------- allow-list


@router.get("/voters")
def list_voters(dataset_id: int, db: DbSession) -> VoterList:
    rows = review_owner.allowed_voters(db, dataset_or_404(db, dataset_id))
    return VoterList.model_validate(
        {"status": "Success.", "voters": [{"address": r.address, "user_id": r.user_id} for r in rows]}
    )


@router.post("/voters")
def allow_voter(
    dataset_id: int, body: VoterIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> VoterChanged:
    address = review_owner.set_voter(db, chain, dataset_or_404(db, dataset_id), user, body.voter, True)
    return VoterChanged.model_validate({"status": "Voter allowed.", "address": address})


@router.delete("/voters/{voter}")
def disallow_voter(
    dataset_id: int,
    voter: Annotated[str, Path(min_length=1, max_length=64)],
    db: DbSession,
    user: CurrentUser,
    chain: ReviewChainDep,
) -> VoterChanged:
    address = review_owner.set_voter(db, chain, dataset_or_404(db, dataset_id), user, voter, False)
    return VoterChanged.model_validate({"status": "Voter removed from the allow-list.", "address": address})


# ---------------------------------------------------------------------- the reviewer's loop


@router.get("/queue")
def read_queue(
    dataset_id: int,
    db: DbSession,
    user: CurrentUser,
    chain: ReviewChainDep,
    limit: Annotated[int, Query(ge=1, le=review_queries.MAX_QUEUE)] = 20,
) -> QueueOut:
    """Items waiting for your vote, most suspicious first; blind: no tallies, never your own contributions,
    nobody's contributor while undecided. An item nobody can vote on now (deposit unpaid, reward pool
    short) is marked `can_vote: false` with the reason in `waiting_for`."""
    dataset = dataset_or_404(db, dataset_id)
    entries = review_queries.queue(db, chain, dataset, user, limit)
    return QueueOut.model_validate(
        {
            "status": "Success.",
            "items": [
                {
                    "item": item_json(e.item, show_contributor=shows_contributor(e.item, dataset, user)),
                    "image_url": f"/api/dataset/{dataset.id}/items/{e.item.content_hash}/image",
                    "mode": "commit-reveal" if e.terms.commit_reveal else "plain",
                    "stake_wei": str(e.terms.stake_wei),
                    "reward_wei": str(e.terms.reward_wei),
                    "votes_needed": e.votes_needed,
                    "served_at": e.served_at.isoformat(),
                    "can_vote": e.can_vote,
                    "deposit_due": e.deposit_due,
                    "reward_payable": e.reward_payable,
                    "waiting_for": e.waiting_for,
                }
                for e in entries
            ],
        }
    )


@router.post("/items/{sha256}/vote")
def cast_vote(
    dataset_id: int, sha256: Sha, body: VoteIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> VoteReceiptOut:
    dataset = dataset_or_404(db, dataset_id)
    receipt = review_votes.vote(db, chain, dataset, user, sha256, body.approve)
    return receipt_answer(receipt, "Vote cast.", shows_contributor(receipt.item, dataset, user))


@router.post("/votes")
def cast_votes(
    dataset_id: int, body: BulkVotesIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> BulkVotesOut:
    """Plain votes on many items at once (a queue page, a file), signed by your custodial wallet.

    Every entry is checked before anything is sent. A submission that names no item, an unknown or
    ambiguous one, or one item twice is refused whole (400, or 404 when only unknown items are the
    trouble), as is one whose stakes your wallet cannot pay; nothing is sent. An entry that cannot be
    voted on now (already voted, decided, deposit unpaid, pool short, commit-reveal, your own) is
    refused with a sentence naming its item while the others proceed; when none can, 409 with every
    sentence. The answer has each entry's outcome and how long settlement took."""
    dataset = dataset_or_404(db, dataset_id)
    result = bulk_votes.vote_in_bulk(db, chain, dataset, user, body.decisions())
    return bulk_answer(result, dataset, user)


@router.post("/items/{sha256}/commit")
def commit_vote(
    dataset_id: int, sha256: Sha, body: VoteIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> VoteReceiptOut:
    dataset = dataset_or_404(db, dataset_id)
    receipt = review_votes.commit(db, chain, dataset, user, sha256, body.approve)
    return receipt_answer(
        receipt,
        "Vote committed: reveal it once the commit phase ends.",
        shows_contributor(receipt.item, dataset, user),
    )


@router.post("/items/{sha256}/reveal")
def reveal_vote(
    dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> VoteReceiptOut:
    dataset = dataset_or_404(db, dataset_id)
    with no_ballot.explained(db, dataset, user, sha256, "reveal"):
        receipt = review_votes.reveal(db, chain, dataset, user, sha256)
    return receipt_answer(receipt, "Vote revealed.", shows_contributor(receipt.item, dataset, user))


@router.post("/items/{sha256}/finalize")
def finalize_item(
    dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> ItemFinalized:
    dataset = dataset_or_404(db, dataset_id)
    item = review_votes.finalize(db, chain, dataset, user, sha256)
    shown = item_json(item, show_contributor=shows_contributor(item, dataset, user))
    return ItemFinalized.model_validate({"status": "Finalized.", "item": shown})


@router.post("/items/{sha256}/deposit")
def pay_deposit(
    dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> DepositOut:
    """Pay your item's review deposit (the policy's ``deposit_wei``) from your custodial wallet."""
    paid = deposits.pay(db, chain, dataset_or_404(db, dataset_id), user, sha256)
    return deposit_answer(paid, "Deposit paid: the item is open to review.")


@router.post("/deposits")
def pay_all_deposits(
    dataset_id: int, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> DepositsPaidOut:
    """Pay every review deposit due on your items in this dataset from your custodial wallet, at once.

    The contract takes one deposit per transaction, so the server sends one per item, in a row; the
    wallet must hold them all first, and a refusal midway says how many were paid before it."""
    done = deposits.pay_all(db, chain, user, dataset_or_404(db, dataset_id))
    return deposits_paid_answer(done)


@router.post("/items/{sha256}/deposit/claim")
def claim_deposit(
    dataset_id: int, sha256: Sha, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> DepositOut:
    """Take back the deposit of your approved item, into your custodial wallet."""
    claimed = deposits.claim(db, chain, dataset_or_404(db, dataset_id), user, sha256)
    return deposit_answer(claimed, "Deposit refunded.")


@router.post("/items/{sha256}/claim")
def claim_payout(
    dataset_id: int, sha256: Sha, body: RoundIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> ClaimOut:
    dataset = dataset_or_404(db, dataset_id)
    with no_ballot.explained(db, dataset, user, sha256, "claim"):
        claimed = review_votes.claim(db, chain, dataset, user, sha256, body.round)
    return ClaimOut.model_validate(
        {
            "status": "Claimed.",
            "content_hash": claimed.content_hash,
            "round": claimed.round,
            "amount_wei": str(claimed.amount_wei),
            "tx_hash": claimed.tx_hash,
        }
    )


@router.get("/items/{sha256}/votes")
def item_votes(dataset_id: int, sha256: Sha, db: DbSession, user: OptionalUser) -> ItemVotesOut:
    """All ballots once the item is resolved; before that only your own (the vote is blind)."""
    dataset = dataset_or_404(db, dataset_id)
    item, votes, complete = review_queries.history(db, dataset, user, sha256)
    claims = review_queries.claims_by_ballot(db, dataset, item.content_hash)
    return ItemVotesOut.model_validate(
        {
            "status": "Success.",
            "item": item_json(item, show_contributor=shows_contributor(item, dataset, user)),
            "complete": complete,
            "votes": [
                vote_json(v, c.amount_wei if (c := claims.get((v.round, v.voter_address))) else None)
                for v in votes
            ],
        }
    )


@router.get("/reviewers")
def reviewers(dataset_id: int, db: DbSession) -> ReviewerList:
    """Each voter's coherence with final outcomes, counts, earnings, reputation and flags."""
    rows = quality.reviewer_quality(db, dataset_or_404(db, dataset_id))
    return ReviewerList.model_validate(
        {
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
    )


@mine_router.get("/claims")
def claims_waiting(
    db: DbSession,
    user: CurrentUser,
    chain: ReviewChainDep,
    dataset_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> ClaimsWaiting:
    """Payouts waiting for you across datasets (or one): winning, refunded or failed-round ballots."""
    dataset = dataset_or_404(db, dataset_id) if dataset_id is not None else None
    waiting = review_queries.claims_waiting(db, chain, user, dataset)
    return ClaimsWaiting.model_validate(
        {
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
    )

"""Request bodies and answers of the review routes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sebrus.api.schemas.common import Answer, ApiModel, StatusAnswer
from sebrus.api.schemas.items import ItemOut, item_json
from sebrus.chain.review_types import PoolBooks, ReviewTerms
from sebrus.db.models import ReviewVote
from sebrus.services.review.deposits import DepositReceipt, PaidAll
from sebrus.services.review.policy import policy_from_terms
from sebrus.services.review.votes import VoteReceipt
from sebrus.services.review.wallet import Confirmed


class VoteIn(ApiModel):
    approve: bool = Field(description="True: the label is right; false: it is wrong or poisoned.")


class RoundIn(ApiModel):
    round: int | None = Field(
        default=None, ge=0, lt=2**32, description="The round to claim for; default: your latest ballot's."
    )


class AmountIn(ApiModel):
    amount_wei: int = Field(gt=0, lt=2**96, description="Wei; a JSON number or a decimal string.")


class VoterIn(ApiModel):
    voter: str = Field(min_length=1, max_length=64, description="A username or a wallet address.")


class PolicyIn(ApiModel):
    policy: dict[str, Any] = Field(
        description="x, stake_wei, reward_wei, voters (open | allow-list), deposit_wei, commit_reveal, "
        "commit_window, reveal_window, finalize_delay; missing keys take the defaults."
    )


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


# ---------------------------------------------------------------------------------------------- answers


class BooksOut(Answer):
    pool_wei: str
    stakes_held_wei: str
    rewards_reserved_wei: str
    deposits_held_wei: str
    balance_wei: str


class VoteOut(Answer):
    content_hash: str
    round: int
    voter: str
    voter_user_id: int | None
    side: str | None
    revealed: bool
    stake_wei: str
    round_state: str
    cast_at: str
    revealed_at: str | None
    tx_hash: str
    block_number: int
    claimed_wei: str | None


class PolicyRead(StatusAnswer):
    review: str
    version: int
    versions: int
    effective_from: int
    policy: dict[str, Any] = Field(description="The policy's terms; amounts in wei as strings.")


class PolicyChanged(StatusAnswer):
    version: int
    effective_from: int
    policy: dict[str, Any]


class PoolTransferOut(Answer):
    kind: str
    address: str | None
    content_hash: str | None
    amount_wei: str
    tx_hash: str
    block_number: int
    at: str


class PoolRead(StatusAnswer):
    books: BooksOut
    funded_wei: str
    withdrawn_wei: str
    paid_out_wei: str
    slashed_to_pool_wei: str
    votes: int
    claims: int
    recent: list[PoolTransferOut]


class PoolChanged(StatusAnswer):
    books: BooksOut


class VoterOut(Answer):
    address: str
    user_id: int | None


class VoterList(StatusAnswer):
    voters: list[VoterOut]


class VoterChanged(StatusAnswer):
    address: str


class QueueEntryOut(Answer):
    item: ItemOut
    image_url: str
    mode: str
    stake_wei: str
    reward_wei: str
    votes_needed: int
    served_at: str
    can_vote: bool = Field(description="False: a vote on it would be refused now; `waiting_for` says why.")
    deposit_due: bool = Field(description="The contributor has not paid the review deposit the policy asks.")
    reward_payable: bool = Field(
        description="The reward pool holds this vote's reward (false: voting pauses)."
    )
    waiting_for: str | None = Field(description="Why nobody can vote on it now, in a sentence (null: open).")


class QueueOut(StatusAnswer):
    items: list[QueueEntryOut]


class VoteReceiptOut(StatusAnswer):
    tx_hash: str
    item: ItemOut
    vote: VoteOut | None


class ItemFinalized(StatusAnswer):
    item: ItemOut


class DepositOut(StatusAnswer):
    item: ItemOut
    amount_wei: str
    tx_hash: str


class DepositPaidOut(Answer):
    item: ItemOut
    amount_wei: str
    tx_hash: str


class DepositsPaidOut(StatusAnswer):
    paid: list[DepositPaidOut] = Field(
        description="Each deposit paid; on a review of version 3 or later a dataset's deposits share one "
        "depositBatch transaction, on older reviews one transaction each, sent in a row."
    )
    transactions: int = Field(description="Transactions the server sent to pay them.")
    total_wei: str
    remaining: int = Field(description="Deposits still due after this request (it pays at most 100).")
    external: int = Field(description="Due on items from your external wallets: pay those from them.")


def deposits_paid_answer(done: PaidAll) -> DepositsPaidOut:
    return DepositsPaidOut.model_validate(
        {
            "status": done.sentence(),
            "paid": [
                {"item": item_json(r.item), "amount_wei": str(r.amount_wei), "tx_hash": r.tx_hash}
                for r in done.paid
            ],
            "total_wei": str(done.total_wei),
            "transactions": done.sent,
            "remaining": done.remaining,
            "external": done.external,
        }
    )


class ClaimOut(StatusAnswer):
    content_hash: str
    round: int
    amount_wei: str
    tx_hash: str


class ItemVotesOut(StatusAnswer):
    item: ItemOut
    complete: bool
    votes: list[VoteOut]


class ReviewerOut(Answer):
    voter: str
    user_id: int | None
    username: str | None
    votes: int
    approvals: int
    rejections: int
    unrevealed: int
    decided: int
    coherent: int
    coherence: float | None
    approve_share: float | None
    median_seconds_to_vote: float | None
    staked_wei: str
    claimed_wei: str
    net_wei: str
    reputation: int
    flags: list[str]


class ReviewerList(StatusAnswer):
    reviewers: list[ReviewerOut]


class ClaimWaitingOut(Answer):
    dataset_id: int
    content_hash: str
    round: int
    amount_wei: str


class ClaimsWaiting(StatusAnswer):
    claims: list[ClaimWaitingOut]


# The browser-wallet routes (``api/routers/review_wallet.py``).


class WalletCallOut(Answer):
    from_: str = Field(alias="from")
    to: str
    data: str
    value: str
    gas: str
    chainId: str


class WalletTransactionOut(StatusAnswer):
    action: str
    round: int | None
    transaction: WalletCallOut


class WalletClaimOut(Answer):
    content_hash: str
    round: int
    amount_wei: str


class WalletConfirmOut(StatusAnswer):
    action: str
    tx_hash: str
    item: ItemOut | None
    vote: VoteOut | None
    claim: WalletClaimOut | None


def receipt_answer(receipt: VoteReceipt, status: str, show_contributor: bool) -> VoteReceiptOut:
    """A vote's receipt; a reviewer's receipt for an undecided item leaves its contributor out."""
    return VoteReceiptOut.model_validate(
        {
            "status": status,
            "tx_hash": receipt.tx_hash,
            "item": item_json(receipt.item, show_contributor=show_contributor),
            "vote": vote_json(receipt.vote) if receipt.vote is not None else None,
        }
    )


def deposit_answer(receipt: DepositReceipt, status: str) -> DepositOut:
    return DepositOut.model_validate(
        {
            "status": status,
            "item": item_json(receipt.item),
            "amount_wei": str(receipt.amount_wei),
            "tx_hash": receipt.tx_hash,
        }
    )


STATUS = {
    "vote": "Vote cast.",
    "commit": "Vote committed: reveal it once the commit phase ends.",
    "reveal": "Vote revealed.",
    "claim": "Claimed.",
}


def wallet_confirmation(done: Confirmed, show_contributor: bool) -> WalletConfirmOut:
    """What a wallet's transaction did, as ``POST .../wallet-transactions`` answers it."""
    answer: dict[str, Any] = {
        "status": STATUS[done.action],
        "action": done.action,
        "tx_hash": done.tx_hash,
        "item": None,
        "vote": None,
        "claim": None,
    }
    if done.vote is not None:
        answer["item"] = item_json(done.vote.item, show_contributor=show_contributor)
        answer["vote"] = vote_json(done.vote.vote) if done.vote.vote is not None else None
    if done.claim is not None:
        answer["claim"] = {
            "content_hash": done.claim.content_hash,
            "round": done.claim.round,
            "amount_wei": str(done.claim.amount_wei),
        }
    return WalletConfirmOut.model_validate(answer)

"""Review with your own wallet: the server prepares the transaction, your wallet signs and sends it.

``POST .../items/{sha256}/wallet-transaction`` checks the request (your linked wallet, the item, the
policy, the allow-list, the money, and the call itself as an ``eth_call``) and answers the unsigned
transaction in ``eth_sendTransaction``'s shape; ``POST .../wallet-transactions`` takes the hash the
wallet returned, waits for it and answers what it did. Refusals read as on the custodial routes
(``AlreadyVoted: ...``). Cookie sessions send ``X-CSRF-Token``, as everywhere in the API.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.deps import CurrentUser, DbSession
from sebrus.api.routers.items import item_json
from sebrus.api.routers.review import Sha, _dataset, review_chain, vote_json
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.services.review import wallet as review_wallet

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)


class WalletTransactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["vote", "commit", "reveal", "claim"] = Field(
        description="vote (plain policy), commit (commit-reveal), reveal (your commitment), or claim."
    )
    wallet: str = Field(min_length=40, max_length=42, description="A wallet linked to your account.")
    side: Literal["approve", "reject"] | None = Field(default=None, description="For vote and commit.")
    round: int | None = Field(
        default=None, ge=0, lt=2**32, description="For claim: the round; default: your latest ballot's."
    )


class WalletConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tx_hash: str = Field(
        min_length=66, max_length=66, pattern="^0x[0-9a-fA-F]{64}$", description="What the wallet returned."
    )


@router.post("/items/{sha256}/wallet-transaction")
def prepare_wallet_transaction(
    request: Request,
    dataset_id: int,
    sha256: Sha,
    body: WalletTransactionIn,
    db: DbSession,
    user: CurrentUser,
) -> dict[str, Any]:
    """The unsigned transaction for your wallet (hex quantities, as ``eth_sendTransaction`` takes them)."""
    prepared = review_wallet.prepare(
        db,
        review_chain(request),
        _dataset(db, dataset_id),
        user,
        sha256,
        action=body.action,
        wallet=body.wallet,
        approve=None if body.side is None else body.side == "approve",
        round_index=body.round,
    )
    call = prepared.call
    return {
        "status": "Send this with eth_sendTransaction, then confirm its hash.",
        "action": prepared.action,
        "round": prepared.round,
        "transaction": {
            "from": prepared.sender,
            "to": call.to,
            "data": "0x" + call.data.hex(),
            "value": hex(call.value_wei),
            "gas": hex(call.gas),
            "chainId": hex(prepared.chain_id),
        },
    }


@router.post(
    "/wallet-transactions",
    responses={429: {"description": "The server is waiting for too many transactions; retry shortly."}},
)
def confirm_wallet_transaction(
    request: Request, dataset_id: int, body: WalletConfirmIn, db: DbSession, user: CurrentUser
) -> dict[str, Any]:
    """What your wallet's transaction did, once mined: the ballot (vote, commit, reveal) or the claim."""
    done = review_wallet.confirm(db, review_chain(request), _dataset(db, dataset_id), user, body.tx_hash)
    answer: dict[str, Any] = {
        "status": STATUS[done.action],
        "action": done.action,
        "tx_hash": done.tx_hash,
        "item": None,
        "vote": None,
        "claim": None,
    }
    if done.vote is not None:
        answer["item"] = item_json(done.vote.item)
        answer["vote"] = vote_json(done.vote.vote) if done.vote.vote is not None else None
    if done.claim is not None:
        answer["claim"] = {
            "content_hash": done.claim.content_hash,
            "round": done.claim.round,
            "amount_wei": str(done.claim.amount_wei),
        }
    return answer


STATUS = {
    "vote": "Vote cast.",
    "commit": "Vote committed: reveal it once the commit phase ends.",
    "reveal": "Vote revealed.",
    "claim": "Claimed.",
}

"""Review with your own wallet: the server prepares the transaction, your wallet signs and sends it.

``POST .../items/{sha256}/wallet-transaction`` checks the request (your linked wallet, the item, the
policy, the allow-list, the money, and the call itself as an ``eth_call``) and answers the unsigned
transaction in ``eth_sendTransaction``'s shape; ``POST .../wallet-transactions`` takes the hash the
wallet returned, waits for it and answers what it did. Refusals read as on the custodial routes
(``AlreadyVoted: ...``). Cookie sessions send ``X-CSRF-Token``, as everywhere in the API.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from sebrus.api.params import Sha
from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.review import WalletConfirmOut, WalletTransactionOut, wallet_confirmation
from sebrus.http.deps import CurrentUser, DbSession, ReviewChainDep, dataset_or_404
from sebrus.services.review import no_ballot
from sebrus.services.review import wallet as review_wallet
from sebrus.services.review.blindness import shows_contributor

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
    dataset_id: int,
    sha256: Sha,
    body: WalletTransactionIn,
    db: DbSession,
    user: CurrentUser,
    chain: ReviewChainDep,
) -> WalletTransactionOut:
    """The unsigned transaction for your wallet (hex quantities, as ``eth_sendTransaction`` takes them)."""
    dataset = dataset_or_404(db, dataset_id)
    with no_ballot.explained(db, dataset, user, sha256, body.action):
        prepared = review_wallet.prepare(
            db,
            chain,
            dataset,
            user,
            sha256,
            action=body.action,
            wallet=body.wallet,
            approve=None if body.side is None else body.side == "approve",
            round_index=body.round,
        )
    call = prepared.call
    return WalletTransactionOut.model_validate(
        {
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
    )


@router.post(
    "/wallet-transactions",
    responses={429: {"description": "The server is waiting for too many transactions; retry shortly."}},
)
def confirm_wallet_transaction(
    dataset_id: int, body: WalletConfirmIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> WalletConfirmOut:
    """What your wallet's transaction did, once mined: the ballot (vote, commit, reveal) or the claim."""
    dataset = dataset_or_404(db, dataset_id)
    done = review_wallet.confirm(db, chain, dataset, user, body.tx_hash)
    shown = done.vote is None or shows_contributor(done.vote.item, dataset, user)
    return wallet_confirmation(done, shown)

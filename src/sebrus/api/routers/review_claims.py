"""``POST /api/dataset/{id}/review/claims``: claim every payout waiting for you on a dataset at once.

On a review of version 3 or later the server's relayer credits them all to your review bond in one
``claimBatch`` transaction (you pay no gas; withdraw with ``.../review/bond/withdraw``); an older
review takes one claim transaction per ballot from your custodial wallet. Authenticated; cookie
sessions send ``X-CSRF-Token`` like every other write.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from sebrus.api.schemas.common import ERROR_RESPONSES, ApiModel, StatusAnswer
from sebrus.http.deps import CurrentUser, DbSession, ReviewChainDep, dataset_or_404
from sebrus.services.review.claim_all import ClaimedAll, claim_all

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)


class ClaimOutcomeOut(ApiModel):
    content_hash: str
    round: int
    voter: str = Field(description="Which of your wallets holds the ballot.")
    credited_wei: str = Field(description="What was credited (or paid, on older reviews); 0 when skipped.")
    tx_hash: str | None = Field(description="The claim's transaction; null when skipped.")
    skipped: str | None = Field(description="Why this ballot was not claimed; null if claimed.")


class ClaimsOut(StatusAnswer):
    claims: list[ClaimOutcomeOut]
    claimed: int
    credited_wei: str
    transactions: int = Field(description="Transactions sent: 1 per 256 claims on version 3+, else 1 each.")
    into_bond: bool = Field(description="True: credited to your review bond (withdraw it to your wallet).")


def claims_answer(done: ClaimedAll) -> ClaimsOut:
    return ClaimsOut.model_validate(
        {
            "status": done.sentence(),
            "claims": [
                {
                    "content_hash": o.content_hash,
                    "round": o.round,
                    "voter": o.voter,
                    "credited_wei": str(o.credited_wei),
                    "tx_hash": o.tx_hash,
                    "skipped": o.skipped,
                }
                for o in done.outcomes
            ],
            "claimed": done.claimed,
            "credited_wei": str(done.credited_wei),
            "transactions": done.transactions,
            "into_bond": done.into_bond,
        }
    )


@router.post("/claims")
def claim_all_payouts(dataset_id: int, db: DbSession, user: CurrentUser, chain: ReviewChainDep) -> ClaimsOut:
    """Claim every payout waiting for you on this dataset; 409 with a sentence when nothing waits."""
    return claims_answer(claim_all(db, chain, dataset_or_404(db, dataset_id), user))

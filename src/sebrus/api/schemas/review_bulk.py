"""Request and answer of ``POST /api/dataset/{id}/review/votes``: many votes in one submission."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sebrus.api.schemas.common import Answer, ApiModel, StatusAnswer
from sebrus.api.schemas.items import ItemOut, item_json
from sebrus.db.models import Dataset, User
from sebrus.services.review.blindness import shows_contributor
from sebrus.services.review.bulk_votes import MAX_BULK_VOTES, BulkResult, Decision


class BulkVoteIn(ApiModel):
    sha256: str = Field(
        min_length=1,
        max_length=66,
        pattern=r"^(0x)?[0-9a-fA-F]{1,64}$",
        description="The item's sha256, or any start of it that no other item of the dataset shares.",
    )
    decision: Literal["approve", "reject"] = Field(
        description="approve: the label is right; reject: it is wrong or the image poisoned."
    )


class BulkVotesIn(ApiModel):
    votes: list[BulkVoteIn] = Field(
        min_length=1,
        max_length=MAX_BULK_VOTES,
        description=f"1 to {MAX_BULK_VOTES} decisions, each on a different item.",
    )

    def decisions(self) -> list[Decision]:
        return [Decision(v.sha256, v.decision == "approve") for v in self.votes]


class BulkVoteOutcome(Answer):
    sha256: str = Field(description="The entry's reference as sent.")
    content_hash: str
    decision: Literal["approve", "reject"]
    outcome: Literal["settled", "refused"]
    message: str = Field(description="`Vote cast.`, or a sentence naming the item and why it was refused.")
    error: str | None = Field(description="The contract error's name when refused (`AlreadyVoted`).")
    tx_hash: str | None
    item: ItemOut | None = Field(description="The item after settlement (settled entries only).")


class BulkVotesOut(StatusAnswer):
    settled: int
    refused: int
    settlement_seconds: float = Field(description="How long sending the votes and indexing them took.")
    transactions: int = Field(
        description="Transactions sent to settle the votes: 1 on reviews that take signed ballots (plus "
        "1 when the bond was topped up first), one per vote on older reviews."
    )
    gas_used: int
    settler: str = Field(
        description="How the votes were settled: `signed ballots, one relayed transaction` (review "
        "version 3 or later) or `custodial, one transaction per vote`."
    )
    bond_topped_up_wei: str = Field(
        description="Wei moved from your wallet into your review bond before settling ('0': none)."
    )
    outcomes: list[BulkVoteOutcome] = Field(description="One per entry, in the order sent.")


def bulk_answer(result: BulkResult, dataset: Dataset, user: User) -> BulkVotesOut:
    """The result; an item still undecided after its vote leaves its contributor out (blind review)."""
    return BulkVotesOut.model_validate(
        {
            "status": result.sentence(),
            "settled": result.settled,
            "refused": result.refused,
            "settlement_seconds": round(result.settle_seconds, 3),
            "transactions": result.transactions,
            "gas_used": result.gas_used,
            "settler": result.settler,
            "bond_topped_up_wei": str(result.bond_topped_up_wei),
            "outcomes": [
                {
                    "sha256": o.ref,
                    "content_hash": o.content_hash,
                    "decision": "approve" if o.approve else "reject",
                    "outcome": "settled" if o.settled else "refused",
                    "message": o.message,
                    "error": o.code,
                    "tx_hash": o.tx_hash,
                    "item": (
                        item_json(o.item, show_contributor=shows_contributor(o.item, dataset, user))
                        if o.item is not None
                        else None
                    ),
                }
                for o in result.outcomes
            ],
        }
    )

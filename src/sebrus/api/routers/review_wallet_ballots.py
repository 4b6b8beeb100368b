"""A page of votes signed by your browser wallet, relayed in one transaction (review version 3).

``POST .../review/ballots/typed-data`` checks a page of decisions for your linked external wallet (as
``POST .../review/votes`` checks them for your custodial one) and answers, per votable entry, the
EIP-712 typed data to pass to ``eth_signTypedData_v4``; ``POST .../review/ballots`` takes the signed
ballots back, refuses the whole submission (400, nothing sent) when one was not signed by the wallet
it names, and has the platform's relayer settle them in one transaction. Authenticated; cookie
sessions send ``X-CSRF-Token``. Stakes come from the wallet's own review bond (``depositBond``).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from sebrus.api.schemas.common import ERROR_RESPONSES, Answer, ApiModel, StatusAnswer
from sebrus.api.schemas.review_bulk import BulkVotesIn
from sebrus.chain.review_ballots import MAX_BALLOTS, Ballot
from sebrus.http.deps import CurrentUser, DbSession, ReviewChainDep, dataset_or_404
from sebrus.services.errors import InvalidInput
from sebrus.services.review import wallet_ballots

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)

HEX32 = r"^0x[0-9a-fA-F]{64}$"


class TypedDataIn(BulkVotesIn):
    wallet: str = Field(
        min_length=40, max_length=42, description="An external wallet linked to your account."
    )


class TypedDataEntry(Answer):
    sha256: str = Field(description="The entry's reference as sent.")
    content_hash: str
    decision: Literal["approve", "reject"]
    typed_data: dict[str, Any] | None = Field(description="eth_signTypedData_v4's input; null when refused.")
    message: str
    error: str | None


class TypedDataOut(StatusAnswer):
    voter: str
    stakes_wei: str = Field(description="The stakes the votable entries draw from the wallet's bond.")
    bond_wei: str = Field(description="What the wallet's bond holds available now.")
    entries: list[TypedDataEntry]


class BallotMessage(ApiModel):
    contentHash: str = Field(pattern=HEX32)
    approve: bool
    voter: str = Field(min_length=40, max_length=42)
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**64)


class SignedBallotIn(ApiModel):
    message: BallotMessage = Field(description="The typed data's `message`, as signed.")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65 bytes from eth_signTypedData_v4.")


class SignedBallotsIn(ApiModel):
    ballots: list[SignedBallotIn] = Field(min_length=1, max_length=MAX_BALLOTS)


class RelayedEntryOut(Answer):
    content_hash: str
    decision: Literal["approve", "reject"]
    outcome: Literal["settled", "refused"]
    message: str
    error: str | None


class RelayedOut(StatusAnswer):
    tx_hash: str
    gas_used: int
    settlement_seconds: float
    outcomes: list[RelayedEntryOut]


@router.post("/ballots/typed-data")
def ballots_typed_data(
    dataset_id: int, body: TypedDataIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> TypedDataOut:
    """The typed data your wallet signs for each votable entry of a page."""
    dataset = dataset_or_404(db, dataset_id)
    prepared = wallet_ballots.prepare(db, chain, dataset, user, body.wallet, body.decisions())
    return TypedDataOut.model_validate(
        {
            "status": prepared.sentence(),
            "voter": prepared.voter,
            "stakes_wei": str(prepared.stakes_wei),
            "bond_wei": str(prepared.bond_wei),
            "entries": [
                {
                    "sha256": e.ref,
                    "content_hash": e.content_hash,
                    "decision": "approve" if e.approve else "reject",
                    "typed_data": e.typed_data,
                    "message": e.message,
                    "error": e.code,
                }
                for e in prepared.entries
            ],
        }
    )


@router.post("/ballots")
def relay_ballots(
    dataset_id: int, body: SignedBallotsIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> RelayedOut:
    """Relay ballots your wallet signed: every signature checked first, then one transaction."""
    dataset = dataset_or_404(db, dataset_id)
    signed: list[tuple[Ballot, bytes]] = []
    for number, b in enumerate(body.ballots, start=1):
        m = b.message
        if not m.voter.startswith("0x"):
            raise InvalidInput(f"Ballot {number}'s voter is not a 0x address.", field="ballots")
        ballot = Ballot(m.voter, bytes.fromhex(m.contentHash[2:]), m.approve, m.nonce, m.deadline)
        signed.append((ballot, bytes.fromhex(b.signature[2:])))
    done = wallet_ballots.relay(db, chain, dataset, user, signed)
    return RelayedOut.model_validate(
        {
            "status": done.sentence(),
            "tx_hash": done.tx_hash,
            "gas_used": done.gas_used,
            "settlement_seconds": round(done.seconds, 3),
            "outcomes": [
                {
                    "content_hash": e.content_hash,
                    "decision": "approve" if e.approve else "reject",
                    "outcome": "settled" if e.settled else "refused",
                    "message": e.message,
                    "error": e.code,
                }
                for e in done.entries
            ],
        }
    )

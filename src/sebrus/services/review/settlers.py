"""How a checked bulk submission's ballots reach the chain: the ``BallotSettler`` seam.

``bulk_votes`` decides which ballots may be cast and hands them to a settler; the settler only sends
them and says, per ballot, what the chain did. Keeping that step behind one small protocol lets a
review that accepts signed ballots settle a whole page in one relayed transaction later, without
touching the checks, the faces or their answers. Today's settler is the custodial one: one plain
vote transaction per ballot, signed by the reviewer's custodial key, in a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, Item, User
from sebrus.services.errors import ServiceError
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.chain_link import ChainUnavailable
from sebrus.services.review.votes import send_vote


@dataclass(frozen=True)
class BallotToSettle:
    item: Item
    approve: bool


@dataclass(frozen=True)
class BallotOutcome:
    """What the chain did with one ballot: its transaction, or the refusal that stopped it."""

    content_hash: str
    tx_hash: str | None = None
    refusal: ServiceError | None = None


@dataclass(frozen=True)
class Settlement:
    outcomes: list[BallotOutcome]  # one per ballot, in the order given
    transactions: int
    gas_used: int


class BallotSettler(Protocol):
    """Sends checked ballots; a refusal of one ballot is its outcome, not an exception. The index is
    synced before it returns, so the database shows what the chain did."""

    name: str

    def settle(
        self, db: Session, chain: ReviewChain, dataset: Dataset, user: User, ballots: Sequence[BallotToSettle]
    ) -> Settlement: ...


class CustodialPerVoteSettler:
    """One vote transaction per ballot from the reviewer's custodial wallet, sent in a row through the
    ledger's transactor (its nonce counter), and one index sync after the last.

    Ballots are independent on chain, so a refusal of one (someone decided the item meanwhile) does not
    stop the others; a chain that fails outright does: the ballots not yet sent are reported unsent."""

    name = "custodial, one transaction per vote"

    def settle(
        self, db: Session, chain: ReviewChain, dataset: Dataset, user: User, ballots: Sequence[BallotToSettle]
    ) -> Settlement:
        address = chain.address_of(dataset)
        signer = chain.signer(db, user)
        outcomes: list[BallotOutcome] = []
        gas = 0
        broken: ChainUnavailable | None = None
        for ballot in ballots:
            digest = ballot.item.content_hash
            if broken is not None:
                outcomes.append(
                    BallotOutcome(digest, refusal=ChainUnavailable(f"Not sent: {broken.message}"))
                )
                continue
            try:
                result = send_vote(chain, signer, address, digest, ballot.approve)
            except ChainUnavailable as exc:
                broken = exc
                outcomes.append(BallotOutcome(digest, refusal=exc))
            except ServiceError as exc:
                outcomes.append(BallotOutcome(digest, refusal=exc))
            else:
                gas += result.gas_used
                outcomes.append(BallotOutcome(digest, tx_hash=result.tx_hash))
        sent = sum(1 for o in outcomes if o.tx_hash is not None)
        if sent:
            chain.sync()
        return Settlement(outcomes, sent, gas)

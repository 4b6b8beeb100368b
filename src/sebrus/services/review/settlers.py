"""How a checked bulk submission's ballots reach the chain: the ``BallotSettler`` seam.

``bulk_votes`` decides which ballots may be cast and hands them to a settler; the settler only sends
them and says, per ballot, what the chain did. Keeping that step behind one small protocol lets a
review that accepts signed ballots settle a whole page in one relayed transaction, without touching
the checks, the faces or their answers. :func:`settler_for` is the one place that chooses:

- ``SignedBallotSettler`` for reviews of version 3 or later (``supports_signed_ballots``): each ballot
  is signed server-side with the reviewer's custodial key (EIP-712) and the platform's relayer sends
  them all in one ``settleBallots`` transaction; stakes come from the reviewer's bond, topped up first
  (one ``depositBond`` from the custodial wallet) when it holds less than the page's stakes.
- ``CustodialPerVoteSettler`` for older reviews: one plain vote transaction per ballot, in a row.

Commit-reveal items never reach a settler (``bulk_votes`` refuses them by name), so both settle plain
votes only. The indexer records votes from the ``VoteCast`` event's ``voter`` field, so a vote the
relayer carried is recorded as the reviewer's, exactly like one they sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import (
    Ballot,
    SkipReason,
    bond_of,
    deposit_bond,
    settle_ballots,
    sign_ballot,
    supports_signed_ballots,
)
from sebrus.db.models import Dataset, Item, User
from sebrus.primitives import format_eth
from sebrus.services.errors import Conflict, ServiceError
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.chain_link import ChainUnavailable
from sebrus.services.review.errors import chain_refusals
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
    bond_topped_up_wei: int = 0  # moved from the wallet into the review bond first (signed ballots)


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


class SignedBallotSettler:
    """Every ballot signed with the reviewer's custodial key and settled in one relayed transaction.

    The ballots share one nonce word (a random 248-bit word, one bit per ballot), so a page's nonces
    cost one storage slot and never collide with another page's. A ballot the contract skips (someone
    decided the item meanwhile, the deadline passed, ...) is refused with the adapter's sentence; the
    others count. ``deadline_s`` is how long the signed ballots stay valid: the relayer sends them at
    once, so minutes are plenty."""

    name = "signed ballots, one relayed transaction"

    def __init__(self, deadline_s: int = 15 * 60) -> None:
        self.deadline_s = deadline_s

    def settle(
        self, db: Session, chain: ReviewChain, dataset: Dataset, user: User, ballots: Sequence[BallotToSettle]
    ) -> Settlement:
        address = chain.address_of(dataset)
        signer = chain.signer(db, user)
        reviews = chain.reviews
        transactor = reviews.ledger.transactor
        transactions = gas = topped = 0
        with chain_refusals("top up your review bond"):
            stakes = sum(reviews.policy_for(address, b.item.content_hash).terms.stake_wei for b in ballots)
            shortfall = stakes - bond_of(reviews, address, signer.address)
            if shortfall > 0:
                topped_up = deposit_bond(reviews, signer, address, shortfall)
                transactions, gas, topped = 1, topped_up.gas_used, shortfall
        with chain_refusals("settle the ballots"):
            review = reviews.require_review(address)
            deadline = int(transactor.block()["timestamp"]) + self.deadline_s
            word = secrets.randbits(248) << 8
            signed = []
            for index, b in enumerate(ballots):
                digest = bytes.fromhex(b.item.content_hash)
                ballot = Ballot(signer.address, digest, b.approve, word + index, deadline)
                signed.append((ballot, sign_ballot(bytes(signer.key), transactor.chain_id, review, ballot)))
            settlement = settle_ballots(reviews, chain.link.operators.relayer, address, signed)
        chain.sync()
        outcomes = [
            BallotOutcome(b.item.content_hash, tx_hash=settlement.tx_hash)
            if o.accepted
            else BallotOutcome(b.item.content_hash, refusal=skipped_refusal(o.reason))
            for b, o in zip(ballots, settlement.outcomes, strict=True)
        ]
        return Settlement(outcomes, transactions + 1, gas + settlement.gas_used, topped)


def skipped_refusal(reason: SkipReason) -> ServiceError:
    """The adapter's sentence for a skipped ballot, as a refusal named like the contract's errors."""
    code = "".join(part.capitalize() for part in reason.name.split("_"))
    sentence = reason.sentence
    return Conflict(f"Not counted: {sentence[0].upper()}{sentence[1:]}.", code=code)


def settler_for(chain: ReviewChain, dataset: Dataset) -> BallotSettler:
    """The one place that picks how a checked page settles: one relayed transaction where the review
    takes signed ballots (version 3 or later), one transaction per vote on older reviews."""
    with chain_refusals("read the review's version"):
        signed = supports_signed_ballots(chain.reviews, chain.address_of(dataset))
    return SignedBallotSettler() if signed else CustodialPerVoteSettler()


def bond_note(wei: int) -> str:
    """What the answer says when a page's stakes needed more bond than the reviewer held."""
    return f"Your review bond was topped up by {format_eth(wei)} from your wallet first (1 transaction)."

"""A reviewer's votes on many items in one submission (a queue page on the web, a file on the CLI).

Every decision is checked before a single transaction is sent, and the rule for what proceeds is:

- A submission that does not say what it means is refused whole, nothing sent: no entries, more than
  ``MAX_BULK_VOTES``, a reference that is not a sha256 or the start of one, one that names no item of
  the dataset or several, the same item named twice. Every such problem is listed, each naming its
  entry, so a file is fixed in one go. Likewise when the wallet cannot pay the stakes of every vote
  that would be cast (a vote must never be left out for want of money midway).
- An entry that names its item well but cannot be voted on now (your own, already decided, already
  voted on, deposit unpaid, the pool cannot pay its reward, commit-reveal, not on the allow-list) is
  refused with a sentence naming the item, and the other entries proceed: a page goes stale while it
  is looked at, and one item decided meanwhile must not cost the reviewer the rest of their work.
  When no entry can proceed, the submission is refused (409) with every entry's sentence.

The checked ballots are settled by the ``BallotSettler`` that ``review.settlers.settler_for`` picks (one
relayed transaction of signed ballots on reviews of version 3 or later, one transaction per vote on
older ones), timed, and the answer carries one outcome per entry, in the order given, how long
settlement took, in how many transactions, and any bond top-up it needed first.

Reviewer pace (``review.quality``) needs nothing special here: a page's items were served when the
queue showed them, and a bulk submission's ballots share that sitting's time like votes cast one by
one. Nothing is served or back-dated by this path: an item the queue never served to you counts as
voted on blind, as it would one by one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import bond_of
from sebrus.chain.review_types import BallotState
from sebrus.db.models import Dataset, Item, User
from sebrus.services.errors import Conflict, InvalidInput, NotFound
from sebrus.services.review.chain import ReviewChain, addresses_of
from sebrus.services.review.errors import chain_refusals, sentence_for
from sebrus.services.review.queries import RESOLVED_STATUSES
from sebrus.services.review.settlers import (
    BallotSettler,
    BallotToSettle,
    SignedBallotSettler,
    bond_note,
    settler_for,
)

MAX_BULK_VOTES = 100
SHOWN = 13  # characters of a hash in a sentence, as the CLI's queue shows them


@dataclass(frozen=True)
class Decision:
    """One entry as submitted: an item's sha256 or a unique start of it, and the side."""

    ref: str
    approve: bool


@dataclass(frozen=True)
class Refusal:
    """Why one entry was not settled: a sentence that names its item, and the contract error's name."""

    message: str
    code: str | None


@dataclass(frozen=True)
class EntryOutcome:
    ref: str
    content_hash: str
    approve: bool
    settled: bool
    message: str
    code: str | None = None  # the contract error's name when refused
    tx_hash: str | None = None
    item: Item | None = None


@dataclass(frozen=True)
class BulkResult:
    outcomes: list[EntryOutcome]
    settle_seconds: float
    transactions: int
    gas_used: int
    settler: str
    bond_topped_up_wei: int = 0

    @property
    def settled(self) -> int:
        return sum(o.settled for o in self.outcomes)

    @property
    def refused(self) -> int:
        return len(self.outcomes) - self.settled

    def sentence(self) -> str:
        """``12 votes settled in 0.4 s in 1 transaction.``, a bond top-up when there was one (its own
        transaction, counted apart), and how many were refused."""
        votes = f"{self.settled} vote{'' if self.settled == 1 else 's'}"
        settling = self.transactions - (1 if self.bond_topped_up_wei else 0)
        txs = f"{settling} transaction{'' if settling == 1 else 's'}"
        said = f"{votes} settled in {self.settle_seconds:.1f} s in {txs}."
        if self.bond_topped_up_wei:
            said = f"{said} {bond_note(self.bond_topped_up_wei)}"
        return said if not self.refused else f"{said} {self.refused} refused: see each entry."


def vote_in_bulk(
    db: Session,
    chain: ReviewChain,
    dataset: Dataset,
    user: User,
    decisions: Sequence[Decision],
    settler: BallotSettler | None = None,
) -> BulkResult:
    """Check every decision, settle the ones that may proceed, and say what happened to each."""
    if not decisions:
        raise InvalidInput("Name at least one item to vote on.", field="votes")
    if len(decisions) > MAX_BULK_VOTES:
        raise InvalidInput(
            f"{len(decisions)} votes in one submission; at most {MAX_BULK_VOTES} at once.", field="votes"
        )
    address = chain.address_of(dataset)
    items = resolve(db, dataset, decisions)
    voter = chain.wallet(db, user).address
    refusals, stakes = refusals_for(chain, address, user, voter, items)
    ballots = [
        BallotToSettle(item, d.approve)
        for d, item, r in zip(decisions, items, refusals, strict=True)
        if r is None
    ]
    if not ballots:
        raise Conflict(
            "None of these votes can be cast: " + " ".join(r.message for r in refusals if r is not None)
        )
    chosen = settler or settler_for(chain, dataset)
    with chain_refusals("check your wallet"):
        if isinstance(chosen, SignedBallotSettler):  # stakes come from the bond; the wallet tops it up
            stakes = max(0, stakes - bond_of(chain.reviews, address, voter))
        chain.require_funds(voter, stakes, f"{len(ballots)} vote{'' if len(ballots) == 1 else 's'}")
    started = time.perf_counter()
    settlement = chosen.settle(db, chain, dataset, user, ballots)
    seconds = time.perf_counter() - started
    db.expire_all()
    sent = iter(settlement.outcomes)
    outcomes: list[EntryOutcome] = []
    for decision, item, refusal in zip(decisions, items, refusals, strict=True):
        tx_hash: str | None = None
        if refusal is None:
            got = next(sent)
            tx_hash = got.tx_hash
            refusal = _named(item, got.refusal.message, got.refusal.code) if got.refusal is not None else None
        if refusal is None:
            shown = db.get(Item, item.id) or item
            outcome = EntryOutcome(decision.ref, item.content_hash, decision.approve, True, "Vote cast.")
            outcomes.append(replace(outcome, tx_hash=tx_hash, item=shown))
        else:
            outcomes.append(
                EntryOutcome(
                    decision.ref, item.content_hash, decision.approve, False, refusal.message, refusal.code
                )
            )
    return BulkResult(
        outcomes,
        seconds,
        settlement.transactions,
        settlement.gas_used,
        chosen.name,
        settlement.bond_topped_up_wei,
    )


def resolve(db: Session, dataset: Dataset, decisions: Sequence[Decision]) -> list[Item]:
    """Each entry's item; every entry that names none, several, or an item already named is listed in
    one refusal (404 when the only trouble is items the dataset lacks)."""
    problems: list[str] = []
    missing = 0
    items: list[Item] = []
    first_entry: dict[str, int] = {}
    for number, decision in enumerate(decisions, start=1):
        ref = decision.ref.strip().lower().removeprefix("0x")
        if not 0 < len(ref) <= 64 or any(c not in "0123456789abcdef" for c in ref):
            problems.append(f"Entry {number} ({decision.ref[:70]!r}) is not a sha256 or the start of one.")
            continue
        found = list(
            db.scalars(
                select(Item)
                .where(Item.dataset_id == dataset.id, Item.content_hash.startswith(ref, autoescape=True))
                .limit(2)
            )
        )
        if not found:
            problems.append(
                f"Entry {number}: dataset {dataset.id} has no item whose sha256 starts with {ref}."
            )
            missing += 1
            continue
        if len(found) > 1:
            problems.append(f"Entry {number}: {ref} starts more than one item's sha256; type more of it.")
            continue
        item = found[0]
        if item.content_hash in first_entry:
            problems.append(
                f"Entry {number} names item {item.content_hash[:SHOWN]} again (first named by entry "
                f"{first_entry[item.content_hash]}); vote on each item once."
            )
            continue
        first_entry[item.content_hash] = number
        items.append(item)
    if problems:
        kind = NotFound if missing == len(problems) else InvalidInput
        raise kind("Nothing was voted on. " + " ".join(problems))
    return items


def refusals_for(
    chain: ReviewChain, address: str, user: User, voter: str, items: Sequence[Item]
) -> tuple[list[Refusal | None], int]:
    """Per item, why a vote on it would fail now (None: it may proceed), read before anything is sent;
    and the stakes of the votes that may proceed, which the wallet must hold.

    The reward pool is counted down in entry order: each vote reserves its reward when cast, so the
    entries past what the pool covers are refused, not the whole submission."""
    reviews = chain.reviews
    mine = addresses_of(user)
    found: list[Refusal | None] = []
    allowed: bool | None = None
    stakes = 0
    with chain_refusals("check the votes"):
        pool_left = reviews.books(address).pool_wei
        for item in items:
            code: str | None = None
            if item.contributor_user_id == user.id or item.contributor_address in mine:
                code = "OwnContribution"
            elif item.status in RESOLVED_STATUSES:
                code = "AlreadyResolved"
            elif reviews.votes_required(address, item.content_hash) == 0:
                code = "NoVoteNeeded"
            else:
                terms = reviews.policy_for(address, item.content_hash).terms
                review = reviews.item_review(address, item.content_hash)
                if not terms.open_voting and allowed is None:
                    allowed = reviews.is_allowed_voter(address, voter)
                if terms.commit_reveal:
                    code = "CommitRevealRequired"
                elif terms.deposit_wei > 0 and not review.deposit_paid:
                    code = "DepositRequired"
                elif not terms.open_voting and not allowed:
                    code = "NotAllowedVoter"
                elif (
                    reviews.ballot(address, item.content_hash, review.round, voter).state
                    is not BallotState.NONE
                ):
                    code = "AlreadyVoted"
                elif terms.reward_wei > pool_left:
                    code = "InsufficientPool"
                else:
                    pool_left -= terms.reward_wei
                    stakes += terms.stake_wei
            found.append(
                None
                if code is None
                else _named(item, _SENTENCES.get(code) or sentence_for(code) or code, code)
            )
    return found, stakes


# Where the contract's own sentence does not fit a bulk submission.
_SENTENCES = {
    "CommitRevealRequired": "It is reviewed by commit-reveal: commit your vote on it on its own.",
}


def _named(item: Item, message: str, code: str | None) -> Refusal:
    """The refusal with its item named at the front, so a list of them reads on its own."""
    return Refusal(f"Item {item.content_hash[:SHOWN]}: {message}", code)

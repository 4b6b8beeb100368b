"""Claim every payout waiting for a reviewer on one dataset, at once.

A claim per ballot is a transaction per ballot, so a reviewer with a page of winning votes paid for a
page of transactions to collect them. A review of version 3 or later (``supports_signed_ballots``)
credits many ballots in one ``claimBatch``: anyone may send it and the money goes to each voter's own
bond, so the platform's relayer (the account ``SignedBallotSettler`` uses) sends it and the reviewer
pays no gas. It also credits ballots held by the reviewer's linked external wallets, since nothing
needs their signature. Older reviews take one ``claim`` per ballot from the voter, so there the
custodial wallet's ballots are claimed one transaction each through ``votes.claim``, and ballots of an
external wallet are left to that wallet, with a sentence.

Nothing is written to the database here: the ``Claimed`` events are recorded by the index sync
(``index._claimed``, one row per ballot and round, skipped if already there), exactly as after a
single claim, so a later sync of the same events records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import (
    MAX_BALLOTS,
    ClaimRef,
    SkipReason,
    claim_batch,
    supports_signed_ballots,
)
from sebrus.db.models import Dataset, User
from sebrus.primitives import format_eth
from sebrus.services.errors import Conflict, ServiceError
from sebrus.services.review import votes
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.queries import ClaimWaiting, claims_waiting


@dataclass(frozen=True)
class ClaimOutcome:
    """One waiting ballot: credited (``credited_wei``, ``tx_hash``), or skipped with a sentence."""

    content_hash: str
    round: int
    voter: str
    credited_wei: int = 0
    tx_hash: str | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class ClaimedAll:
    dataset_id: int
    outcomes: list[ClaimOutcome]
    transactions: int
    into_bond: bool  # batched (version 3+): credited to bonds; otherwise paid by per-ballot claims
    gas_used: int = 0  # of the claimBatch transactions (not measured on the per-ballot path)

    @property
    def credited_wei(self) -> int:
        return sum(o.credited_wei for o in self.outcomes)

    @property
    def claimed(self) -> int:
        return sum(1 for o in self.outcomes if o.skipped is None)

    def sentence(self) -> str:
        count, sent = self.claimed, self.transactions
        txs = f"{sent} transaction{'' if sent == 1 else 's'}"
        told = f"Claimed {count} payout{'' if count == 1 else 's'} ({format_eth(self.credited_wei)}) in {txs}"
        if self.into_bond:
            told += (
                ": credited to your review bond; withdraw it with "
                f"`sebrus review bond withdraw {self.dataset_id}`, the review page's Withdraw button, or "
                f"POST /api/dataset/{self.dataset_id}/review/bond/withdraw."
            )
        else:
            told += " (this review is older than version 3: one claim transaction per ballot)."
        skipped = len(self.outcomes) - count
        if skipped:
            told += f" {skipped} skipped: see each claim's reason."
        return told


def claim_all(db: Session, chain: ReviewChain, dataset: Dataset, user: User) -> ClaimedAll:
    """Claim every payout ``claims_waiting`` finds for the user on ``dataset``; a 409 sentence when none."""
    waiting = claims_waiting(db, chain, user, dataset)
    if not waiting:
        raise Conflict(
            f"Nothing to claim: none of your ballots on dataset {dataset.id} holds an unclaimed payout."
        )
    address = chain.address_of(dataset)
    with chain_refusals("read the review's version"):
        batched = supports_signed_ballots(chain.reviews, address)
    if batched:
        outcomes, sent, gas = _in_batches(db, chain, address, waiting)
    else:
        (outcomes, sent), gas = _one_by_one(db, chain, dataset, user, waiting), 0
    return ClaimedAll(dataset.id, outcomes, sent, batched, gas)


def _in_batches(
    db: Session, chain: ReviewChain, address: str, waiting: Sequence[ClaimWaiting]
) -> tuple[list[ClaimOutcome], int, int]:
    """One relayed ``claimBatch`` per ``MAX_BALLOTS`` claims, then one index sync."""
    outcomes: list[ClaimOutcome] = []
    sent = gas = 0
    relayer = chain.link.operators.relayer
    try:
        for start in range(0, len(waiting), MAX_BALLOTS):
            chunk = waiting[start : start + MAX_BALLOTS]
            refs = [ClaimRef(bytes.fromhex(w.content_hash), w.round, w.voter_address) for w in chunk]
            with chain_refusals("claim the payouts"):
                result, done = claim_batch(chain.reviews, relayer, address, refs)
            sent += 1
            gas += result.gas_used
            for w, o in zip(chunk, done, strict=True):
                skipped = None if o.reason is SkipReason.NONE else f"Not claimed: {o.reason.sentence}."
                outcomes.append(
                    ClaimOutcome(
                        w.content_hash,
                        w.round,
                        w.voter_address,
                        o.credited_wei if skipped is None else 0,
                        result.tx_hash if skipped is None else None,
                        skipped,
                    )
                )
    finally:
        if sent:  # a later chunk's failure must not leave the earlier ones' claims unrecorded
            chain.sync()  # Claimed events -> ReviewClaim rows (index._claimed)
    db.expire_all()
    return outcomes, sent, gas


def _one_by_one(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, waiting: Sequence[ClaimWaiting]
) -> tuple[list[ClaimOutcome], int]:
    """An older review: the custodial wallet's ballots through the single-claim path, in a row; a
    refusal of one is its outcome and the rest still go."""
    custodial = chain.wallet(db, user).address
    outcomes: list[ClaimOutcome] = []
    sent = 0
    for w in waiting:
        if w.voter_address != custodial:
            outcomes.append(
                ClaimOutcome(
                    w.content_hash,
                    w.round,
                    w.voter_address,
                    skipped=f"Not claimed: this ballot was cast from your wallet {w.voter_address}; "
                    "on a review older than version 3 only that wallet can claim it.",
                )
            )
            continue
        try:
            done = votes.claim(db, chain, dataset, user, w.content_hash, w.round)
        except ServiceError as exc:
            outcomes.append(
                ClaimOutcome(w.content_hash, w.round, w.voter_address, skipped=f"Not claimed: {exc.message}")
            )
            continue
        sent += 1
        outcomes.append(ClaimOutcome(w.content_hash, w.round, w.voter_address, done.amount_wei, done.tx_hash))
    return outcomes, sent

"""A page of votes signed by the reviewer's own browser wallet and relayed in one transaction.

A reviewer who votes with an external wallet signs ballots, not transactions: ``prepare`` checks a
page of decisions exactly as a bulk submission is checked (``bulk_votes``), for the linked wallet as
the voter, and answers each votable entry's EIP-712 typed data for ``eth_signTypedData_v4``; ``relay``
takes the signed ballots back, checks that each was signed by a wallet the user linked (recovering
the signer before any gas is paid: a forged or altered ballot refuses the whole submission, nothing
sent), and the platform's relayer settles them in one ``settleBallots`` transaction. Stakes come from
that wallet's review bond, which the wallet fills itself (``depositBond``); a ballot the contract
skips is refused by name with its reason. Reviews older than version 3 have no such path.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.chain.review_ballots import (
    Ballot,
    ballot_typed_data,
    bond_of,
    recover_voter,
    settle_ballots,
    supports_signed_ballots,
)
from sebrus.db.models import Dataset, User, WalletKind
from sebrus.primitives import format_eth
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied
from sebrus.services.review.bulk_votes import Decision, refusals_for, resolve
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.settlers import skipped_refusal
from sebrus.services.review.wallet import linked_wallet

DEADLINE_S = 15 * 60  # time to sign and send back; the relayer settles at once


@dataclass(frozen=True)
class PreparedEntry:
    ref: str
    content_hash: str
    approve: bool
    typed_data: dict[str, Any] | None  # None: refused, see message
    message: str
    code: str | None = None


@dataclass(frozen=True)
class Prepared:
    voter: str
    entries: list[PreparedEntry]
    stakes_wei: int
    bond_wei: int

    def sentence(self) -> str:
        ready = sum(1 for e in self.entries if e.typed_data is not None)
        said = f"{ready} ballot{'' if ready == 1 else 's'} to sign with {self.voter}."
        if self.bond_wei < self.stakes_wei:
            said += (
                f" Its review bond holds {format_eth(self.bond_wei)}; these votes' stakes need "
                f"{format_eth(self.stakes_wei)}: deposit the difference into the bond first (depositBond)."
            )
        return said


@dataclass(frozen=True)
class RelayedEntry:
    content_hash: str
    approve: bool
    settled: bool
    message: str
    code: str | None = None


@dataclass(frozen=True)
class Relayed:
    tx_hash: str
    gas_used: int
    seconds: float
    entries: list[RelayedEntry]

    def sentence(self) -> str:
        settled = sum(e.settled for e in self.entries)
        refused = len(self.entries) - settled
        said = (
            f"{settled} vote{'' if settled == 1 else 's'} settled in {self.seconds:.1f} s in 1 transaction."
        )
        return said if not refused else f"{said} {refused} refused: see each entry."


def prepare(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, wallet: str, decisions: Sequence[Decision]
) -> Prepared:
    """Each decision checked for ``wallet`` as the voter; the typed data to sign for the votable ones."""
    voter = linked_wallet(db, user, wallet)
    address = _signed_review(chain, dataset)
    if not decisions:
        raise InvalidInput("Name at least one item to vote on.", field="votes")
    items = resolve(db, dataset, decisions)
    refusals, stakes = refusals_for(chain, address, user, voter, items)
    if all(r is not None for r in refusals):
        raise Conflict(
            "None of these votes can be cast: " + " ".join(r.message for r in refusals if r is not None)
        )
    with chain_refusals("prepare the ballots"):
        review = chain.reviews.require_review(address)
        transactor = chain.reviews.ledger.transactor
        deadline = int(transactor.block()["timestamp"]) + DEADLINE_S
        bond = bond_of(chain.reviews, address, voter)
    word = secrets.randbits(248) << 8
    entries = []
    for index, (decision, item, refusal) in enumerate(zip(decisions, items, refusals, strict=True)):
        if refusal is not None:
            entries.append(
                PreparedEntry(
                    decision.ref, item.content_hash, decision.approve, None, refusal.message, refusal.code
                )
            )
            continue
        ballot = Ballot(voter, bytes.fromhex(item.content_hash), decision.approve, word + index, deadline)
        typed = ballot_typed_data(transactor.chain_id, review, ballot)
        entries.append(PreparedEntry(decision.ref, item.content_hash, decision.approve, typed, "Sign it."))
    return Prepared(voter, entries, stakes, bond)


def relay(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, signed: Sequence[tuple[Ballot, bytes]]
) -> Relayed:
    """Check every signature against the user's linked wallets, then settle them all in one transaction."""
    address = _signed_review(chain, dataset)
    if not signed:
        raise InvalidInput("Send at least one signed ballot.", field="ballots")
    mine = {w.address for w in user.wallets if w.kind is WalletKind.EXTERNAL}
    review = chain.reviews.require_review(address)
    chain_id = chain.reviews.ledger.transactor.chain_id
    checked: list[tuple[Ballot, bytes]] = []
    for number, (ballot, signature) in enumerate(signed, start=1):
        try:
            ballot = ballot.check()
            signer = recover_voter(signature, chain_id, review, ballot)
        except (LedgerInvalidInput, ValueError) as exc:
            raise InvalidInput(
                f"Ballot {number} is not a well-formed signed ballot: {exc}. Nothing was sent."
            ) from None
        if ballot.voter not in mine:
            raise PermissionDenied(
                f"Ballot {number} names voter {ballot.voter}, which is not a wallet linked to your account. "
                "Nothing was sent."
            )
        if signer != ballot.voter:
            raise InvalidInput(
                f"Ballot {number} is not signed by {ballot.voter} (the signature is {signer}'s, or the "
                "ballot was altered after signing). Nothing was sent.",
                field="ballots",
            )
        checked.append((ballot, signature))
    started = time.perf_counter()
    with chain_refusals("settle the ballots"):
        settlement = settle_ballots(chain.reviews, chain.link.operators.relayer, address, checked)
    chain.sync()
    seconds = time.perf_counter() - started
    entries = []
    for (ballot, _), outcome in zip(checked, settlement.outcomes, strict=True):
        digest = ballot.content_hash.hex()
        if outcome.accepted:
            entries.append(RelayedEntry(digest, ballot.approve, True, "Vote cast."))
        else:
            refusal = skipped_refusal(outcome.reason)
            entries.append(
                RelayedEntry(
                    digest, ballot.approve, False, f"Item {digest[:13]}: {refusal.message}", refusal.code
                )
            )
    return Relayed(settlement.tx_hash, settlement.gas_used, seconds, entries)


def _signed_review(chain: ReviewChain, dataset: Dataset) -> str:
    address = chain.address_of(dataset)
    with chain_refusals("read the review's version"):
        if not supports_signed_ballots(chain.reviews, address):
            raise InvalidInput(
                "This dataset's review is older than version 3: it takes no signed ballots, so vote item by "
                "item with your wallet."
            )
    return address

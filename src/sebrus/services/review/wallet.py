"""Review with the reviewer's own wallet (a browser wallet): the server prepares, the wallet sends.

On the custodial path (``review_votes``) the server signs. Here it cannot, so the work is split:

- ``prepare`` checks all it can before the wallet spends gas: the wallet is linked to this user, the
  item is theirs to review (not their own, not decided), the action fits the item's policy (plain
  vote or commit-reveal), an allow-list admits the wallet, the wallet can pay stake and gas, and the
  contract would accept the call (it is tried as an ``eth_call`` from the wallet). It returns the
  unsigned call for ``eth_sendTransaction``; nothing else is stored, except a commit's nonce.
- ``confirm`` waits for the transaction, refuses one that did not go from one of the user's wallets
  to this dataset's Review contract, turns a revert into the same 4xx as the custodial path
  (``review_errors``), syncs the indexer and returns the ballot or the claim.

Commit-reveal works as on the custodial path: the server keeps a random nonce per ballot and the
salt is HMAC(server secret, nonce), so the reveal is prepared later with one click. A nonce whose
commit was never sent (the wallet declined, the tab closed) is reused by the next prepare for that
round, so an abandoned prepare never blocks voting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, cast, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted
from sebrus.chain.review import commitment_hash
from sebrus.chain.review_types import BallotState, ReviewTerms
from sebrus.chain.types import ChainEvent, UnsignedCall
from sebrus.db.base import utcnow
from sebrus.db.models import Dataset, Item, ReviewCommitSecret, User, Wallet, WalletKind
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied, RateLimited
from sebrus.services.review import commit_secrets
from sebrus.services.review.chain import ReviewChain, addresses_of, item_of
from sebrus.services.review.errors import chain_refusals, refusal
from sebrus.services.review.votes import ClaimReceipt, VoteReceipt, latest_ballot, receipt, reviewable

Action = Literal["vote", "commit", "reveal", "claim"]
ACTIONS: tuple[str, ...] = get_args(Action)
# The event that says what a confirmed transaction did, by the voter it names.
_EVENTS: dict[str, Action] = {
    "VoteCast": "vote",
    "VoteCommitted": "commit",
    "VoteRevealed": "reveal",
    "Claimed": "claim",
}
# Confirmations waiting for their transaction at once, in this process. Each wait holds a worker
# thread for as long as the user's transaction stays unmined (up to the ledger's receipt timeout);
# the API's and the pages' blocking handlers share about 40 such threads, so without a cap a few
# dozen requests naming unmined or unknown hashes would leave none for anyone else.
MAX_CONFIRM_WAITS = 8
CONFIRM_RETRY_SECONDS = 5
_CONFIRM_WAITS = threading.BoundedSemaphore(MAX_CONFIRM_WAITS)


@dataclass(frozen=True)
class WalletTransaction:
    """What the wallet is asked to send, from ``sender`` on chain ``chain_id``."""

    action: Action
    sender: str
    chain_id: int
    call: UnsignedCall
    round: int | None  # the ballot's round where it is known (reveal, claim)


@dataclass(frozen=True)
class Confirmed:
    action: Action
    tx_hash: str
    vote: VoteReceipt | None = None
    claim: ClaimReceipt | None = None


# ---------------------------------------------------------------------- prepare


def prepare(
    db: Session,
    chain: ReviewChain,
    dataset: Dataset,
    user: User,
    content_hash: str,
    *,
    action: str,
    wallet: str,
    approve: bool | None = None,
    round_index: int | None = None,
) -> WalletTransaction:
    """The unsigned transaction for ``action`` on the item, refused before the wallet spends gas."""
    if action not in ACTIONS:
        raise InvalidInput(f"`action` must be one of {', '.join(ACTIONS)}.", field="action")
    chain.address_of(dataset)  # refused when the dataset has no review contract
    sender = linked_wallet(db, user, wallet)
    if action in ("vote", "commit"):
        if approve is None:
            raise InvalidInput("Choose a side: `side` is approve or reject.", field="side")
        item = reviewable(db, dataset, user, content_hash)
    else:
        item = item_of(db, dataset, content_hash)
    made: list[ReviewCommitSecret] = []  # a nonce made here, dropped again if the call is refused
    try:
        with chain_refusals(f"prepare the {action}"):
            call, round_index = _call_for(
                db, chain, dataset, item, user, sender, action, approve, round_index, made
            )
            chain.link.ledger.simulate(sender, call)
    except BaseException:
        for secret in made:
            db.delete(secret)
            db.commit()
        raise
    return WalletTransaction(cast(Action, action), sender, chain.link.ledger.chain_id, call, round_index)


def _call_for(
    db: Session,
    chain: ReviewChain,
    dataset: Dataset,
    item: Item,
    user: User,
    sender: str,
    action: str,
    approve: bool | None,
    round_index: int | None,
    made: list[ReviewCommitSecret],
) -> tuple[UnsignedCall, int | None]:
    address = dataset.address
    if action == "reveal":
        chain.require_funds(sender, 0, "a reveal")
        return _reveal_call(db, chain, dataset, item, sender)
    if action == "claim":
        chain.require_funds(sender, 0, "a claim")
        if round_index is None:
            round_index = _claim_round(db, dataset, item, sender)
        return chain.reviews.claim_call(address, item.content_hash, round_index), round_index
    assert approve is not None
    terms = _voting_terms(chain, address, item, sender, action)
    chain.require_funds(sender, terms.stake_wei, f"a {action}")
    if action == "vote":
        return chain.reviews.vote_call(address, item.content_hash, approve), None
    secret, fresh = _commit_nonce(db, chain, dataset, item, user, sender)
    if fresh:
        made.append(secret)
    salt = commit_secrets.salt(chain, secret.nonce)
    return chain.reviews.commit_call(sender, address, item.content_hash, approve, salt), secret.round


def linked_wallet(db: Session, user: User, wallet: str) -> str:
    """``wallet``'s address if ``user`` linked it as an external wallet (the only kind a browser holds)."""
    try:
        address = normalize_address(wallet)
    except InvalidInput:
        raise InvalidInput(f"{wallet!r:.50} is not a wallet address.", field="wallet") from None
    row = db.scalar(select(Wallet).where(Wallet.user_id == user.id, Wallet.address == address))
    if row is None:
        raise InvalidInput(
            f"Wallet {address} is not linked to your account; link it first (POST /api/wallets/challenge).",
            field="wallet",
        )
    if row.kind is not WalletKind.EXTERNAL:
        raise InvalidInput(
            f"Wallet {address} is your custodial wallet: the server signs for it, so vote through the "
            "server instead.",
            field="wallet",
        )
    return address


def _voting_terms(chain: ReviewChain, address: str, item: Item, sender: str, action: str) -> ReviewTerms:
    """The item's terms, refused (with the contract's own error names) when ``action`` cannot apply."""
    reviews = chain.reviews
    terms = reviews.policy_for(address, item.content_hash).terms
    if action == "vote" and terms.commit_reveal:
        raise _refused("CommitRevealRequired")
    if action == "commit" and not terms.commit_reveal:
        raise _refused("CommitRevealOff")
    if reviews.votes_required(address, item.content_hash) == 0:
        raise _refused("NoVoteNeeded")
    if not terms.open_voting and not reviews.is_allowed_voter(address, sender):
        raise _refused("NotAllowedVoter")
    return terms


def _commit_nonce(
    db: Session, chain: ReviewChain, dataset: Dataset, item: Item, user: User, voter: str
) -> tuple[ReviewCommitSecret, bool]:
    """The nonce to derive this commit's salt from, and whether it was made now.

    A nonce kept for a round in which the wallet has no ballot was never used (its commit was not
    sent, or reverted): it is reused rather than blocking the round with a second one."""
    address = chain.address_of(dataset)
    current = chain.reviews.item_review(address, item.content_hash).round
    latest = commit_secrets.latest_nonce(db, dataset, item, voter, current)
    if latest is not None and latest.revealed_at is None:
        ballot = chain.reviews.ballot(address, item.content_hash, latest.round, voter)
        if ballot.state is BallotState.NONE:
            return latest, False
    return commit_secrets.keep_nonce(db, dataset, item, user, voter, current), True


def _reveal_call(
    db: Session, chain: ReviewChain, dataset: Dataset, item: Item, voter: str
) -> tuple[UnsignedCall, int]:
    """Reveal the wallet's commitment in the current round, with the side and salt it was made with."""
    address = chain.address_of(dataset)
    kept = list(
        db.scalars(commit_secrets.kept_nonces(dataset, item, voter).order_by(ReviewCommitSecret.id.desc()))
    )
    if not kept:
        raise Conflict(f"NoBallot: this server holds no commitment of {voter} on this item to reveal.")
    current = chain.reviews.item_review(address, item.content_hash).round
    ballot = chain.reviews.ballot(address, item.content_hash, current, voter)
    if ballot.state is BallotState.NONE:
        raise Conflict("NoBallot: your wallet has no commitment in this item's current round.")
    if ballot.state is not BallotState.COMMITTED:
        raise Conflict("AlreadyRevealed: your vote on this item is already revealed.")
    for secret in kept:
        salt = commit_secrets.salt(chain, secret.nonce)
        for side in (True, False):
            if commitment_hash(side, salt, voter) == ballot.commitment:
                return chain.reviews.reveal_call(address, item.content_hash, side, salt), current
    raise Conflict("CommitmentMismatch: your commitment was not made through this server.")


def _claim_round(db: Session, dataset: Dataset, item: Item, voter: str) -> int:
    """The latest round ``voter`` voted in on the item."""
    found = latest_ballot(db, dataset, item, voter)
    if found is None:
        raise Conflict(f"NoBallot: wallet {voter} has no vote on this item to claim for.")
    return int(found.round)


def _refused(error: str) -> Exception:
    return refusal(ContractReverted(error, {}))


# ---------------------------------------------------------------------- confirm


def confirm(db: Session, chain: ReviewChain, dataset: Dataset, user: User, tx_hash: str) -> Confirmed:
    """What the wallet's transaction did, once mined and mirrored in the database."""
    digest = _tx_hash(tx_hash)
    address = chain.address_of(dataset)
    # The wait is the user's to prolong (a transaction can sit unmined until the receipt timeout):
    # end the request's read transaction first, so that a waiting request holds no pooled connection
    # and a few of them cannot starve every other request of the database. Nothing is pending here.
    db.commit()
    slots = _CONFIRM_WAITS
    if not slots.acquire(blocking=False):
        raise RateLimited(
            "The server is already waiting for as many transactions as it can; your transaction is not "
            "lost: try again in a few seconds to confirm it.",
            retry_after_seconds=CONFIRM_RETRY_SECONDS,
        )
    try:
        with chain_refusals("confirm the transaction"):
            review = chain.reviews.require_review(address)
            sent = chain.link.ledger.wait_external(digest)
    finally:
        slots.release()
    if sent.to != review:
        raise InvalidInput(
            f"Transaction {digest} was not sent to this dataset's review contract ({review}).",
            field="tx_hash",
        )
    if sent.sender not in addresses_of(user):
        raise PermissionDenied(
            f"Transaction {digest} was sent by {sent.sender}, which is not one of your wallets."
        )
    if sent.reverted is not None:
        raise (
            refusal(sent.reverted) if isinstance(sent.reverted, ContractReverted) else _failed(sent.reverted)
        )
    found = [
        e
        for e in sent.events
        if e.address == review and e.name in _EVENTS and e.args.get("voter") == sent.sender
    ]
    if not found:
        raise InvalidInput(
            f"Transaction {digest} neither voted, committed, revealed nor claimed.", field="tx_hash"
        )
    event = found[0]
    action = _EVENTS[event.name]
    chain.sync()
    item = item_of(db, dataset, bytes(event.args["contentHash"]).hex())
    if action == "claim":
        claim = ClaimReceipt(
            item.content_hash, int(event.args["round"]), int(event.args["amount"]), sent.tx_hash
        )
        return Confirmed(action, sent.tx_hash, claim=claim)
    if action == "commit":
        _file_commit(db, chain, dataset, item, sent.sender, event)
    elif action == "reveal":
        _mark_revealed(db, dataset, item, sent.sender, int(event.args["round"]))
    return Confirmed(action, sent.tx_hash, vote=receipt(db, chain, dataset, item, sent.sender, sent.tx_hash))


def _tx_hash(value: str) -> str:
    text = value.strip().lower()
    if len(text) != 66 or not text.startswith("0x") or any(c not in "0123456789abcdef" for c in text[2:]):
        raise InvalidInput("`tx_hash` is a transaction hash: 0x and 64 hex digits.", field="tx_hash")
    return text


def _failed(exc: Exception) -> InvalidInput:
    return InvalidInput(f"The transaction failed: {exc}.", field="tx_hash")


def _file_commit(
    db: Session, chain: ReviewChain, dataset: Dataset, item: Item, voter: str, event: ChainEvent
) -> None:
    """Move the nonce the commitment was made with to the round the contract put it in (a commit
    after a failed round opens the next one, as on the custodial path)."""
    committed = bytes(event.args["commitment"])
    actual = int(event.args["round"])
    for secret in db.scalars(commit_secrets.kept_nonces(dataset, item, voter)):
        salt = commit_secrets.salt(chain, secret.nonce)
        if committed in (commitment_hash(True, salt, voter), commitment_hash(False, salt, voter)):
            if secret.round != actual:
                secret.round = actual
                try:
                    db.commit()
                except IntegrityError:  # another row holds that round; the reveal tries every nonce
                    db.rollback()
            return


def _mark_revealed(db: Session, dataset: Dataset, item: Item, voter: str, round_index: int) -> None:
    for secret in db.scalars(
        commit_secrets.kept_nonces(dataset, item, voter).where(
            ReviewCommitSecret.round <= round_index, ReviewCommitSecret.revealed_at.is_(None)
        )
    ):
        secret.revealed_at = utcnow()
    db.commit()

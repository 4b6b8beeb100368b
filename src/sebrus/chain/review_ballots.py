"""Signed review ballots: reviewers sign, the server's relayer settles many ballots in one transaction.

Today every review vote is its own transaction carrying its stake. From review version 3 a reviewer
instead deposits a bond once (``depositBond``) and signs each ballot as EIP-712 typed data; the
relayer sends a batch of them to ``Review.settleBallots``, which draws each ballot's stake from its
voter's bond and credits payouts back to it (pull payments: one ``withdrawBond`` when the reviewer
wants their money). Contributions already travel this way (``sebrus.chain.signing``); ballots reuse
its approach: the digest is built from the type's fixed layout and signed with libsecp256k1 through
coincurve, and the full typed-data JSON is offered for browser wallets (``eth_signTypedData_v4``).

Inside a batch a ballot the contract refuses (forged, replayed, expired, for a closed item, with too
little bond, ...) is skipped with a ``BallotSkipped`` event naming its reason, so one bad ballot does
not sink the others; :func:`settle_ballots` reads those events back into per-ballot outcomes.

Reviews made by an older factory (``reviewVersion() < 3``) have no such path:
:func:`supports_signed_ballots` tells callers to keep using the per-vote functions there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3.contract import Contract

from sebrus.chain.errors import InvalidInput
from sebrus.chain.review import ReviewLedger
from sebrus.chain.signing import eip712_domain_separator, sign_digest, typed_data_payload
from sebrus.chain.types import TxResult
from sebrus.chain.validation import checked_address, checked_hash

SIGNED_BALLOTS_VERSION = 3  # the first review version with settleBallots, bonds and batches
DOMAIN_NAME = "SeBRUS Review"
DOMAIN_VERSION = "1"
MAX_BALLOTS = 256  # Review.MAX_BATCH: keeps one settlement well inside a block

# Gas limits for the batched paths, from measured use (benchmarks/review_gas.py) with headroom.
# The base covers what a settlement pays once (the transaction, cold slots, the Dataset's first touch):
# a lone first ballot of a round on a fresh review measured 235-237k gas (first nonce word, first
# bond draw, first round; benchmarks/review_attacks.py --batch 1), which a base of 80k left out of gas.
GAS_SETTLE_BASE = 180_000
# A ballot decided at once costs about 32k; the worst case (first ballot of a round: new record, round,
# ballot, nonce word and bond slots) about 130k. Limits are capped at the block's gas limit, so a
# relayer should keep settlements to about 200 ballots.
GAS_SETTLE_PER_BALLOT = 130_000
GAS_CLAIM_BASE = 50_000
GAS_CLAIM_PER_ITEM = 80_000  # a per-vote ballot's claim measured ~47k (2 in one batch: 144,375 gas)
GAS_DEPOSIT_BASE = 50_000
GAS_DEPOSIT_PER_ITEM = 60_000
GAS_BOND = 80_000

BALLOT_TYPES: dict[str, list[dict[str, str]]] = {
    "Ballot": [
        {"name": "contentHash", "type": "bytes32"},
        {"name": "approve", "type": "bool"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

_BALLOT_TYPEHASH = keccak(
    b"Ballot(bytes32 contentHash,bool approve,address voter,uint256 nonce,uint256 deadline)"
)


@dataclass(frozen=True)
class Ballot:
    """One reviewer's signed vote on one item of a review.

    ``nonce`` is an unordered nonce (a bit in the voter's nonce bitmap on the contract): any unused
    value works, ballots may be signed in parallel, and a counted ballot's nonce can never count
    again. ``deadline`` is the last block time (seconds) at which the ballot may be settled.
    """

    voter: str
    content_hash: bytes
    approve: bool
    nonce: int
    deadline: int

    def check(self) -> Ballot:
        """The same ballot with a checksummed voter; ``InvalidInput`` for malformed fields."""
        if not 0 <= self.nonce < 2**256 or not 0 <= self.deadline < 2**256:
            raise InvalidInput("a ballot's nonce and deadline must be uint256 values")
        return Ballot(
            voter=checked_address(self.voter, "voter"),
            content_hash=checked_hash(self.content_hash),
            approve=bool(self.approve),
            nonce=self.nonce,
            deadline=self.deadline,
        )


class SkipReason(IntEnum):
    """Mirrors ``IReview.SkipReason``: why a batch left a ballot (or a claim) out."""

    NONE = 0
    EXPIRED = 1
    BAD_SIGNATURE = 2
    NONCE_USED = 3
    NOT_OPEN = 4
    NO_VOTE_NEEDED = 5
    OWN_CONTRIBUTION = 6
    NOT_ALLOWED_VOTER = 7
    DEPOSIT_REQUIRED = 8
    COMMIT_REVEAL_REQUIRED = 9
    ALREADY_VOTED = 10
    INSUFFICIENT_BOND = 11
    INSUFFICIENT_POOL = 12
    NO_BALLOT = 13
    ALREADY_CLAIMED = 14
    ROUND_OPEN = 15
    NOT_SETTLED = 16
    NOTHING_DUE = 17
    NO_RESOLVER = 18

    @property
    def sentence(self) -> str:
        return _SENTENCES[self]


_SENTENCES: dict[SkipReason, str] = {
    SkipReason.NONE: "accepted",
    SkipReason.EXPIRED: "the ballot's deadline has passed; sign it again with a later deadline",
    SkipReason.BAD_SIGNATURE: "the signature is not the named voter's signature of this ballot",
    SkipReason.NONCE_USED: "this nonce was used (or cancelled) already; the ballot was not counted again",
    SkipReason.NOT_OPEN: "the item is no longer open for review (decided or not anchored)",
    SkipReason.NO_VOTE_NEEDED: "the item's policy needs no votes; it is approved by finalize",
    SkipReason.OWN_CONTRIBUTION: "a contributor may not vote on their own item",
    SkipReason.NOT_ALLOWED_VOTER: "the policy is an allow-list and the voter is not on it",
    SkipReason.DEPOSIT_REQUIRED: "review opens once the contributor has paid the item's deposit",
    SkipReason.COMMIT_REVEAL_REQUIRED: "the item's policy is commit-reveal; vote with commit and reveal",
    SkipReason.ALREADY_VOTED: "the voter has a ballot in this round already",
    SkipReason.INSUFFICIENT_BOND: "the voter's bond holds less than the item's stake; deposit more bond",
    SkipReason.INSUFFICIENT_POOL: "the review's reward pool cannot cover this vote's reward",
    SkipReason.NO_BALLOT: "the voter has no ballot in that round",
    SkipReason.ALREADY_CLAIMED: "that ballot's payout was credited already",
    SkipReason.ROUND_OPEN: "the round still takes votes; nothing is due yet",
    SkipReason.NOT_SETTLED: "the round is decided but its reveal window is still open",
    SkipReason.NOTHING_DUE: "nothing is due to this ballot (it lost, or its commitment was never revealed)",
    SkipReason.NO_RESOLVER: (
        "the ballot would decide the item, but the dataset's owner has revoked the review's right to resolve"
    ),
}


@dataclass(frozen=True)
class BallotOutcome:
    """What the settlement did with one ballot: ``accepted``, or skipped with a reason sentence."""

    ballot: Ballot
    accepted: bool
    reason: SkipReason
    decided: bool = False  # this ballot decided its item

    @property
    def sentence(self) -> str:
        return self.reason.sentence


@dataclass(frozen=True)
class Settlement:
    """One settlement transaction and what it did with each ballot, in the order given."""

    tx_hash: str
    gas_used: int
    outcomes: tuple[BallotOutcome, ...]

    @property
    def accepted(self) -> int:
        return sum(1 for o in self.outcomes if o.accepted)


@dataclass(frozen=True)
class ClaimRef:
    """One ballot to credit: ``voter``'s ballot on ``content_hash`` in round ``round_index``."""

    content_hash: bytes
    round_index: int
    voter: str


@dataclass(frozen=True)
class ClaimOutcome:
    claim: ClaimRef
    credited_wei: int
    reason: SkipReason


# ---------------------------------------------------------------------- typed data and signing


def ballot_typed_data(chain_id: int, review_address: str, ballot: Ballot) -> dict[str, Any]:
    """The full EIP-712 payload a browser wallet signs with ``eth_signTypedData_v4``.

    Byte fields are 0x-hex strings so the dict can go to a browser as JSON unchanged.
    """
    checked = ballot.check()
    message = {
        "contentHash": "0x" + checked.content_hash.hex(),
        "approve": checked.approve,
        "voter": checked.voter,
        "nonce": checked.nonce,
        "deadline": checked.deadline,
    }
    contract = checked_address(review_address, "review")
    return typed_data_payload(
        DOMAIN_NAME, DOMAIN_VERSION, chain_id, contract, BALLOT_TYPES, "Ballot", message
    )


def review_domain_separator(chain_id: int, review_address: str) -> bytes:
    return eip712_domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, review_address)


def ballot_digest(chain_id: int, review_address: str, ballot: Ballot) -> bytes:
    """The EIP-712 digest of a ballot, built from the Ballot type's fixed layout (no general encoder:
    it costs milliseconds a signature; tests compare both)."""
    b = ballot.check()
    struct_hash = keccak(
        _BALLOT_TYPEHASH
        + b.content_hash
        + int(b.approve).to_bytes(32, "big")
        + to_canonical_address(b.voter).rjust(32, b"\0")
        + b.nonce.to_bytes(32, "big")
        + b.deadline.to_bytes(32, "big")
    )
    domain = review_domain_separator(chain_id, to_checksum_address(review_address))
    return keccak(b"\x19\x01" + domain + struct_hash)


def sign_ballot(private_key: bytes, chain_id: int, review_address: str, ballot: Ballot) -> bytes:
    """The custodial path: sign ``ballot`` server-side with the voter's key; 65 bytes (r, s, v)."""
    return sign_digest(bytes(private_key), ballot_digest(chain_id, review_address, ballot))


def recover_voter(signature: bytes, chain_id: int, review_address: str, ballot: Ballot) -> str:
    """Who signed ``ballot`` (general EIP-712 encoder); lets a server refuse a bad ballot before
    paying gas for it."""
    typed = ballot_typed_data(chain_id, review_address, ballot)
    recovered: str = Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
    return recovered


def compact_signature(signature: bytes) -> tuple[bytes, bytes]:
    """(r, vs) of EIP-2098 from a 65-byte signature: two calldata words instead of a bytes field."""
    if len(signature) != 65:
        raise InvalidInput("a ballot signature must be 65 bytes (r, s, v)")
    r, s, v = signature[:32], signature[32:64], signature[64]
    if v not in (27, 28, 0, 1):
        raise InvalidInput("a ballot signature's v must be 27 or 28")
    s_int = int.from_bytes(s, "big")
    if s_int >> 255:
        raise InvalidInput("a ballot signature's s is out of range")
    parity = (v - 27) if v >= 27 else v
    return r, (s_int | (parity << 255)).to_bytes(32, "big")


# ---------------------------------------------------------------------- chain


def supports_signed_ballots(reviews: ReviewLedger, dataset: str) -> bool:
    """Whether the dataset's review takes signed ballots, bonds and batches (``reviewVersion() >= 3``);
    older reviews keep the per-vote path."""
    return reviews.review_version(dataset) >= SIGNED_BALLOTS_VERSION


def settle_ballots(
    reviews: ReviewLedger, relayer: LocalAccount, dataset: str, signed: Sequence[tuple[Ballot, bytes]]
) -> Settlement:
    """Send ``signed`` ballots in one ``settleBallots`` transaction through the shared transactor;
    each ballot's outcome (accepted, or skipped with the reason the contract gave), the transaction's
    hash and its gas. Malformed input raises ``InvalidInput`` before anything is sent."""
    review = _signed_review(reviews, dataset)
    if not 0 < len(signed) <= MAX_BALLOTS:
        raise InvalidInput(f"a settlement takes 1 to {MAX_BALLOTS} ballots, not {len(signed)}")
    ballots = [b.check() for b, _ in signed]
    rows = []
    for ballot, (_, signature) in zip(ballots, signed, strict=True):
        r, vs = compact_signature(signature)
        rows.append((ballot.content_hash, ballot.approve, ballot.voter, ballot.nonce, ballot.deadline, r, vs))
    gas = _capped(reviews, GAS_SETTLE_BASE + GAS_SETTLE_PER_BALLOT * len(rows))
    result = reviews.ledger.transactor.send(relayer, review, "settleBallots", (rows,), gas=gas)
    skipped: dict[int, SkipReason] = {}
    decided: set[bytes] = set()
    for event in result.events:
        if event.address != review.address:
            continue
        if event.name == "BallotSkipped":
            skipped[int(event.args["index"])] = SkipReason(int(event.args["reason"]))
        elif event.name == "ItemReviewed":
            decided.add(bytes(event.args["contentHash"]))
    outcomes = []
    seen_decided: set[bytes] = set()
    for index, ballot in enumerate(ballots):
        reason = skipped.get(index, SkipReason.NONE)
        accepted = reason is SkipReason.NONE
        # The accepted ballot that decided its item is the last accepted one on that item.
        outcomes.append(BallotOutcome(ballot, accepted, reason))
    for position in range(len(outcomes) - 1, -1, -1):
        o = outcomes[position]
        h = o.ballot.content_hash
        if o.accepted and h in decided and h not in seen_decided:
            seen_decided.add(h)
            outcomes[position] = BallotOutcome(o.ballot, True, o.reason, decided=True)
    return Settlement(result.tx_hash, result.gas_used, tuple(outcomes))


def claim_batch(
    reviews: ReviewLedger, caller: LocalAccount, dataset: str, claims: Sequence[ClaimRef]
) -> tuple[TxResult, tuple[ClaimOutcome, ...]]:
    """Credit many ballots' payouts (winners' stake, reward and share; refunds of failed, aborted or
    expired rounds) to their voters' bonds in one transaction. Anyone may send it: the money goes to
    each voter's own balance, never to the caller. Works for per-vote ballots too."""
    review = _signed_review(reviews, dataset)
    if not 0 < len(claims) <= MAX_BALLOTS:
        raise InvalidInput(f"a claim batch takes 1 to {MAX_BALLOTS} claims, not {len(claims)}")
    rows = []
    for c in claims:
        if not 0 <= c.round_index < 2**32:
            raise InvalidInput("a round index must be a uint32")
        rows.append((checked_hash(c.content_hash), c.round_index, checked_address(c.voter, "voter")))
    gas = _capped(reviews, GAS_CLAIM_BASE + GAS_CLAIM_PER_ITEM * len(rows))
    result = reviews.ledger.transactor.send(caller, review, "claimBatch", (rows,), gas=gas)
    credited: dict[int, int] = {}
    skipped: dict[int, SkipReason] = {}
    for event in result.events:
        if event.address != review.address:
            continue
        if event.name == "ClaimSkipped":
            skipped[int(event.args["index"])] = SkipReason(int(event.args["reason"]))
    index = 0
    claimed = [e for e in result.events if e.address == review.address and e.name == "Claimed"]
    for position in range(len(rows)):
        if position in skipped:
            continue
        credited[position] = int(claimed[index].args["amount"]) if index < len(claimed) else 0
        index += 1
    outcomes = tuple(
        ClaimOutcome(c, credited.get(i, 0), skipped.get(i, SkipReason.NONE)) for i, c in enumerate(claims)
    )
    return result, outcomes


def deposit_batch(
    reviews: ReviewLedger, contributor: LocalAccount, dataset: str, hashes: Sequence[bytes | str]
) -> TxResult:
    """Pay the deposits of many of ``contributor``'s items in one transaction (all or nothing: the
    money travels with it, so a bad entry reverts the batch with the contract's error)."""
    review = _signed_review(reviews, dataset)
    if not 0 < len(hashes) <= MAX_BALLOTS:
        raise InvalidInput(f"a deposit batch takes 1 to {MAX_BALLOTS} items, not {len(hashes)}")
    digests = [checked_hash(h) for h in hashes]
    if len(set(digests)) != len(digests):
        raise InvalidInput("a deposit batch names an item twice")
    total = sum(reviews.policy_for(dataset, d).terms.deposit_wei for d in digests)
    gas = _capped(reviews, GAS_DEPOSIT_BASE + GAS_DEPOSIT_PER_ITEM * len(digests))
    tx = reviews.ledger.transactor
    return tx.send(contributor, review, "depositBatch", (digests,), gas=gas, value=total)


def deposit_bond(reviews: ReviewLedger, voter: LocalAccount, dataset: str, amount_wei: int) -> TxResult:
    """Add ``amount_wei`` to ``voter``'s bond on the dataset's review; votes draw their stakes from it."""
    review = _signed_review(reviews, dataset)
    if amount_wei <= 0:
        raise InvalidInput("a bond deposit must be a positive amount of wei")
    return reviews.ledger.transactor.send(voter, review, "depositBond", (), gas=GAS_BOND, value=amount_wei)


def withdraw_bond(reviews: ReviewLedger, voter: LocalAccount, dataset: str, amount_wei: int) -> TxResult:
    """Take ``amount_wei`` of ``voter``'s available balance (bond plus credited payouts) back."""
    review = _signed_review(reviews, dataset)
    if amount_wei <= 0:
        raise InvalidInput("a withdrawal must be a positive amount of wei")
    available = bond_of(reviews, dataset, voter.address)
    if amount_wei > available:
        raise InvalidInput(f"the bond holds {available} wei available, less than the {amount_wei} asked")
    return reviews.ledger.transactor.send(voter, review, "withdrawBond", (amount_wei,), gas=GAS_BOND)


def bond_of(reviews: ReviewLedger, dataset: str, voter: str) -> int:
    """``voter``'s available balance: bond not drawn by an open vote, plus credited payouts and
    deposit refunds; all of it can be withdrawn now."""
    review = _signed_review(reviews, dataset)
    return int(reviews.ledger.transactor.call(review.functions.bondOf(checked_address(voter, "voter"))))


def nonce_used(reviews: ReviewLedger, dataset: str, voter: str, nonce: int) -> bool:
    """Whether ``voter``'s ``nonce`` was used by a counted ballot or cancelled."""
    review = _signed_review(reviews, dataset)
    fn = review.functions.nonceUsed(checked_address(voter, "voter"), nonce)
    return bool(reviews.ledger.transactor.call(fn))


def _capped(reviews: ReviewLedger, gas: int) -> int:
    """A batch's gas limit, at most what a block holds (the limits above are upper bounds)."""
    return min(gas, reviews.ledger.transactor.block_gas_limit())


def _signed_review(reviews: ReviewLedger, dataset: str) -> Contract:
    """The dataset's review, refusing one older than version 3 with a sentence."""
    address = reviews.require_review(dataset)
    if not supports_signed_ballots(reviews, dataset):
        version = reviews.review_version(dataset)
        raise InvalidInput(
            f"this dataset's review is version {version}: it takes per-vote transactions only "
            f"(signed ballots, bonds and batches need version {SIGNED_BALLOTS_VERSION})"
        )
    return reviews.ledger.transactor.contract(address, reviews.review_abi)

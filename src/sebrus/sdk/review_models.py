"""Typed answers of the review methods (:mod:`sebrus.sdk.review`).

Amounts are ``int`` wei here (the server sends decimal strings: they exceed JSON's safe integers) and
times are ``datetime``. Each answer keeps the document it was read from: ``to_dict()`` returns it as
the server sent it, which is what ``--json`` prints. Like the other models, each reads only the fields
it names, so a server that adds fields does not break older clients.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sebrus.sdk.models import Item, _time


def _wei(value: Any) -> int:
    return int(value)


def _maybe_time(value: Any) -> datetime | None:
    return _time(value) if value is not None else None


@dataclass(frozen=True)
class _Answer:
    """Keeps the server's document for ``to_dict``; not part of equality or the repr."""

    raw: dict[str, Any] = field(repr=False, compare=False, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The server's JSON document, unchanged (wei as decimal strings, times as ISO 8601)."""
        return copy.deepcopy(self.raw)


@dataclass(frozen=True)
class QueueEntry(_Answer):
    """An item waiting for your vote, and the terms your vote is cast under."""

    item: Item
    image_url: str
    mode: str  # plain | commit-reveal
    stake_wei: int
    reward_wei: int
    votes_needed: int
    served_at: datetime
    can_vote: bool = True
    waiting_for: str | None = None  # why nobody can vote on it now (deposit unpaid, reward pool short)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueEntry:
        return cls(
            item=Item.from_json(data["item"]),
            image_url=str(data["image_url"]),
            mode=str(data["mode"]),
            stake_wei=_wei(data["stake_wei"]),
            reward_wei=_wei(data["reward_wei"]),
            votes_needed=int(data["votes_needed"]),
            served_at=_time(data["served_at"]),
            can_vote=bool(data.get("can_vote", True)),
            waiting_for=data.get("waiting_for"),
            raw=data,
        )


@dataclass(frozen=True)
class Ballot(_Answer):
    """One vote as the review contract recorded it; ``side`` is None until revealed."""

    content_hash: str
    round: int
    voter: str
    voter_user_id: int | None
    side: str | None  # approve | reject
    revealed: bool
    stake_wei: int
    round_state: str
    cast_at: datetime
    revealed_at: datetime | None
    tx_hash: str
    block_number: int
    claimed_wei: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ballot:
        claimed = data.get("claimed_wei")
        return cls(
            content_hash=str(data["content_hash"]),
            round=int(data["round"]),
            voter=str(data["voter"]),
            voter_user_id=data.get("voter_user_id"),
            side=data.get("side"),
            revealed=bool(data.get("revealed", data.get("side") is not None)),
            stake_wei=_wei(data["stake_wei"]),
            round_state=str(data["round_state"]),
            cast_at=_time(data["cast_at"]),
            revealed_at=_maybe_time(data.get("revealed_at")),
            tx_hash=str(data["tx_hash"]),
            block_number=int(data["block_number"]),
            claimed_wei=_wei(claimed) if claimed is not None else None,
            raw=data,
        )


@dataclass(frozen=True)
class VoteReceipt(_Answer):
    """What a vote, commit or reveal did: the transaction, the item now, and your ballot."""

    message: str
    tx_hash: str
    item: Item
    vote: Ballot | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VoteReceipt:
        vote = data.get("vote")
        return cls(
            message=str(data.get("status", "")),
            tx_hash=str(data["tx_hash"]),
            item=Item.from_json(data["item"]),
            vote=Ballot.from_json(vote) if isinstance(vote, dict) else None,
            raw=data,
        )


@dataclass(frozen=True)
class ItemFinalized(_Answer):
    message: str
    item: Item

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemFinalized:
        return cls(message=str(data.get("status", "")), item=Item.from_json(data["item"]), raw=data)


@dataclass(frozen=True)
class DepositReceipt(_Answer):
    """A review deposit paid, or taken back."""

    message: str
    item: Item
    amount_wei: int
    tx_hash: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DepositReceipt:
        return cls(
            message=str(data.get("status", "")),
            item=Item.from_json(data["item"]),
            amount_wei=_wei(data["amount_wei"]),
            tx_hash=str(data["tx_hash"]),
            raw=data,
        )


@dataclass(frozen=True)
class ReviewBond(_Answer):
    """Your bond on a dataset's review (version 3 or later): what you can withdraw now, and the
    transaction that changed it (None when only read)."""

    message: str
    voter: str
    available_wei: int
    tx_hash: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewBond:
        tx = data.get("tx_hash")
        return cls(
            message=str(data.get("status", "")),
            voter=str(data["voter"]),
            available_wei=_wei(data["available_wei"]),
            tx_hash=None if tx is None else str(tx),
            raw=data,
        )


@dataclass(frozen=True)
class DepositsPaid(_Answer):
    """Every deposit due on a dataset paid at once: one batched transaction on reviews of version 3
    or later, one transaction per item, sent in a row, on older ones."""

    message: str
    paid: list[DepositReceipt]
    total_wei: int
    remaining: int
    external: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DepositsPaid:
        return cls(
            message=str(data.get("status", "")),
            paid=[DepositReceipt.from_json(p) for p in data["paid"]],
            total_wei=_wei(data["total_wei"]),
            remaining=int(data["remaining"]),
            external=int(data["external"]),
            raw=data,
        )


@dataclass(frozen=True)
class ClaimedAll(_Answer):
    """Every payout waiting on a dataset claimed at once: on reviews of version 3 or later credited to
    your review bond in one transaction (``into_bond``; withdraw it with ``withdraw_bond``), on older
    ones one claim transaction per ballot. ``claims`` keeps each entry's JSON (``skipped`` says why one
    was not claimed)."""

    message: str
    claimed: int
    credited_wei: int
    transactions: int
    into_bond: bool
    claims: list[dict[str, Any]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimedAll:
        return cls(
            message=str(data.get("status", "")),
            claimed=int(data["claimed"]),
            credited_wei=_wei(data["credited_wei"]),
            transactions=int(data["transactions"]),
            into_bond=bool(data["into_bond"]),
            claims=list(data["claims"]),
            raw=data,
        )


@dataclass(frozen=True)
class BulkVoteOutcome(_Answer):
    """One entry of a bulk vote: settled (with its transaction) or refused (a sentence naming the item)."""

    sha256: str  # the reference as sent (a hash or a unique start of one)
    content_hash: str
    approve: bool
    settled: bool
    message: str
    error: str | None = None  # the contract error's name when refused
    tx_hash: str | None = None
    item: Item | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkVoteOutcome:
        item = data.get("item")
        return cls(
            sha256=str(data["sha256"]),
            content_hash=str(data["content_hash"]),
            approve=data["decision"] == "approve",
            settled=data["outcome"] == "settled",
            message=str(data["message"]),
            error=data.get("error"),
            tx_hash=data.get("tx_hash"),
            item=Item.from_json(item) if isinstance(item, dict) else None,
            raw=data,
        )


@dataclass(frozen=True)
class BulkVotes(_Answer):
    """Many votes in one submission: each entry's outcome, and how long settling them took."""

    message: str
    settled: int
    refused: int
    settlement_seconds: float
    transactions: int
    outcomes: list[BulkVoteOutcome]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkVotes:
        return cls(
            message=str(data.get("status", "")),
            settled=int(data["settled"]),
            refused=int(data["refused"]),
            settlement_seconds=float(data["settlement_seconds"]),
            transactions=int(data["transactions"]),
            outcomes=[BulkVoteOutcome.from_json(o) for o in data["outcomes"]],
            raw=data,
        )


@dataclass(frozen=True)
class ClaimReceipt(_Answer):
    """A payout collected for one ballot."""

    message: str
    content_hash: str
    round: int
    amount_wei: int
    tx_hash: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimReceipt:
        return cls(
            message=str(data.get("status", "")),
            content_hash=str(data["content_hash"]),
            round=int(data["round"]),
            amount_wei=_wei(data["amount_wei"]),
            tx_hash=str(data["tx_hash"]),
            raw=data,
        )


@dataclass(frozen=True)
class ClaimWaiting(_Answer):
    """A payout waiting for you: a winning, refunded or failed-round ballot."""

    dataset_id: int
    content_hash: str
    round: int
    amount_wei: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimWaiting:
        return cls(
            dataset_id=int(data["dataset_id"]),
            content_hash=str(data["content_hash"]),
            round=int(data["round"]),
            amount_wei=_wei(data["amount_wei"]),
            raw=data,
        )


@dataclass(frozen=True)
class ItemVotes(_Answer):
    """An item's ballots: everyone's once it is resolved (``complete``), before that only yours."""

    item: Item
    complete: bool
    votes: list[Ballot]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemVotes:
        return cls(
            item=Item.from_json(data["item"]),
            complete=bool(data["complete"]),
            votes=[Ballot.from_json(v) for v in data.get("votes", [])],
            raw=data,
        )


@dataclass(frozen=True)
class Reviewer(_Answer):
    """A voter's record on a dataset: coherence with final outcomes, counts, earnings, reputation."""

    voter: str
    user_id: int | None
    username: str | None
    votes: int
    approvals: int
    rejections: int
    unrevealed: int
    decided: int
    coherent: int
    coherence: float | None
    approve_share: float | None
    median_seconds_to_vote: float | None
    staked_wei: int
    claimed_wei: int
    net_wei: int
    reputation: int
    flags: list[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reviewer:
        return cls(
            voter=str(data["voter"]),
            user_id=data.get("user_id"),
            username=data.get("username"),
            votes=int(data["votes"]),
            approvals=int(data["approvals"]),
            rejections=int(data["rejections"]),
            unrevealed=int(data["unrevealed"]),
            decided=int(data["decided"]),
            coherent=int(data["coherent"]),
            coherence=data.get("coherence"),
            approve_share=data.get("approve_share"),
            median_seconds_to_vote=data.get("median_seconds_to_vote"),
            staked_wei=_wei(data["staked_wei"]),
            claimed_wei=_wei(data["claimed_wei"]),
            net_wei=_wei(data["net_wei"]),
            reputation=int(data["reputation"]),
            flags=[str(f) for f in data.get("flags", [])],
            raw=data,
        )


@dataclass(frozen=True)
class ReviewPolicy(_Answer):
    """A policy version and its terms (``terms``: the server's keys; amounts in wei as strings there).

    ``review`` (the contract's address) and ``versions`` come with a read, not with a change.
    """

    version: int
    effective_from: int
    terms: dict[str, Any]
    message: str
    review: str | None = None
    versions: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewPolicy:
        return cls(
            version=int(data["version"]),
            effective_from=int(data["effective_from"]),
            terms=dict(data["policy"]),
            message=str(data.get("status", "")),
            review=data.get("review"),
            versions=data.get("versions"),
            raw=data,
        )


@dataclass(frozen=True)
class AllowedVoter(_Answer):
    address: str
    user_id: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AllowedVoter:
        return cls(address=str(data["address"]), user_id=data.get("user_id"), raw=data)


@dataclass(frozen=True)
class PoolBooks(_Answer):
    """The review contract's money: balance = stakes held + rewards reserved + pool + deposits held."""

    pool_wei: int
    stakes_held_wei: int
    rewards_reserved_wei: int
    deposits_held_wei: int
    balance_wei: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolBooks:
        return cls(
            pool_wei=_wei(data["pool_wei"]),
            stakes_held_wei=_wei(data["stakes_held_wei"]),
            rewards_reserved_wei=_wei(data["rewards_reserved_wei"]),
            deposits_held_wei=_wei(data["deposits_held_wei"]),
            balance_wei=_wei(data["balance_wei"]),
            raw=data,
        )


@dataclass(frozen=True)
class PoolChange(_Answer):
    """The books after funding or withdrawing from the pool."""

    message: str
    books: PoolBooks

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolChange:
        return cls(message=str(data.get("status", "")), books=PoolBooks.from_json(data["books"]), raw=data)


@dataclass(frozen=True)
class PoolTransfer(_Answer):
    kind: str
    address: str | None
    content_hash: str | None
    amount_wei: int
    tx_hash: str
    block_number: int
    at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolTransfer:
        return cls(
            kind=str(data["kind"]),
            address=data.get("address"),
            content_hash=data.get("content_hash"),
            amount_wei=_wei(data["amount_wei"]),
            tx_hash=str(data["tx_hash"]),
            block_number=int(data["block_number"]),
            at=_time(data["at"]),
            raw=data,
        )


@dataclass(frozen=True)
class ReviewPool(_Answer):
    """The books, plus what was funded, withdrawn, paid out and slashed, and the latest transfers."""

    books: PoolBooks
    funded_wei: int
    withdrawn_wei: int
    paid_out_wei: int
    slashed_to_pool_wei: int
    votes: int
    claims: int
    recent: list[PoolTransfer]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewPool:
        return cls(
            books=PoolBooks.from_json(data["books"]),
            funded_wei=_wei(data["funded_wei"]),
            withdrawn_wei=_wei(data["withdrawn_wei"]),
            paid_out_wei=_wei(data["paid_out_wei"]),
            slashed_to_pool_wei=_wei(data["slashed_to_pool_wei"]),
            votes=int(data["votes"]),
            claims=int(data["claims"]),
            recent=[PoolTransfer.from_json(t) for t in data.get("recent", [])],
            raw=data,
        )

"""Plain values of the review network that cross the ledger boundary (see ``review.py``).

Amounts are wei as ``int``; enums carry the contract's own numbering so that a value read from the
chain converts with ``Enum(value)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from sebrus.chain.errors import InvalidInput
from sebrus.chain.types import TxResult

MAX_QUORUM = 100  # Review.MAX_QUORUM: the paper's 0 <= x <= 100
MAX_WINDOW_SECONDS = 30 * 86400  # Review.MAX_WINDOW (also the longest finalize delay)
STALL_TIMEOUT_SECONDS = 14 * 86400  # Review.STALL_TIMEOUT
# Review interface versions: 1 for clones of the first implementation (no ``reviewVersion()``, no
# ``Terms.finalizeDelay``, no round expiry), 2 with them, 3 with signed ballots, bonds and batches.
LEGACY_REVIEW_VERSION = 1
REVIEW_VERSION = 3
MAX_WEI = 2**96 - 1  # stakes, rewards and deposits are uint96 in Review.Terms


class Outcome(IntEnum):
    """Review.Outcome."""

    NONE = 0
    APPROVED = 1
    REJECTED = 2


class RoundState(IntEnum):
    """Review.RoundState: a round takes votes (OPEN) until it is decided, fails, is aborted, or
    expires (a plain round stalled while the review lacked the dataset's resolver role; v2 only)."""

    OPEN = 0
    RESOLVED = 1
    FAILED = 2
    ABORTED = 3
    EXPIRED = 4


class BallotState(IntEnum):
    """Review.BallotState."""

    NONE = 0
    COMMITTED = 1
    APPROVE = 2
    REJECT = 3


@dataclass(frozen=True)
class ReviewTerms:
    """What a dataset owner decides (Review.Terms). ``check()`` refuses what the contract would."""

    quorum: int
    stake_wei: int
    reward_wei: int = 0
    open_voting: bool = False
    deposit_wei: int = 0
    commit_reveal: bool = False
    commit_window_s: int = 0
    reveal_window_s: int = 0
    finalize_delay_s: int = 0  # x = 0 items wait this long after anchoring (enforced on chain from v2)

    def check(self) -> ReviewTerms:
        if isinstance(self.quorum, bool) or not 0 <= self.quorum <= MAX_QUORUM:
            raise InvalidInput(f"x (the votes one side needs) must be 0 to {MAX_QUORUM}, got {self.quorum}")
        for name in ("stake_wei", "reward_wei", "deposit_wei"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_WEI:
                raise InvalidInput(f"{name} must be 0 to 2**96 - 1 wei, got {value}")
        if self.open_voting and self.stake_wei == 0:
            raise InvalidInput("open voting needs a positive stake, or anyone could vote for free")
        windows = (self.commit_window_s, self.reveal_window_s)
        if self.commit_reveal:
            if not all(0 < w <= MAX_WINDOW_SECONDS for w in windows):
                raise InvalidInput(
                    f"commit and reveal windows must be 1 to {MAX_WINDOW_SECONDS} seconds, got {windows}"
                )
        elif any(windows):
            raise InvalidInput("commit and reveal windows apply only with commit_reveal")
        delay = self.finalize_delay_s
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_WINDOW_SECONDS:
            raise InvalidInput(f"the finalize delay must be 0 to {MAX_WINDOW_SECONDS} seconds, got {delay!r}")
        return self

    def as_tuple(self, version: int = REVIEW_VERSION) -> tuple[int | bool, ...]:
        """Review.Terms in the struct's field order for a review of interface ``version``: version 1
        has no ``finalizeDelay`` (the platform's API guard stands in for it on such reviews)."""
        fields: tuple[int | bool, ...] = (
            self.quorum,
            self.open_voting,
            self.commit_reveal,
            self.commit_window_s,
            self.reveal_window_s,
            self.stake_wei,
            self.reward_wei,
            self.deposit_wei,
        )
        return fields if version == LEGACY_REVIEW_VERSION else (*fields, self.finalize_delay_s)

    @classmethod
    def from_tuple(cls, raw: tuple[int | bool, ...]) -> ReviewTerms:
        """Terms read from a review of either version (version 1's have eight fields, no delay)."""
        quorum, open_voting, commit_reveal, commit_window, reveal_window, stake, reward, deposit = raw[:8]
        delay = raw[8] if len(raw) > 8 else 0
        return cls(
            quorum=int(quorum),
            stake_wei=int(stake),
            reward_wei=int(reward),
            open_voting=bool(open_voting),
            deposit_wei=int(deposit),
            commit_reveal=bool(commit_reveal),
            commit_window_s=int(commit_window),
            reveal_window_s=int(reveal_window),
            finalize_delay_s=int(delay),
        )


@dataclass(frozen=True)
class ReviewPolicy:
    """A policy version: it judges items submitted at or after ``effective_from``."""

    version: int
    effective_from: int
    terms: ReviewTerms


@dataclass(frozen=True)
class ReviewDeployment:
    """Where the review network's factory and implementation live on one chain."""

    chain_id: int
    factory: str
    implementation: str
    block_number: int


@dataclass(frozen=True)
class PoolBooks:
    """The four parts of a review contract's balance; they always sum to ``balance_wei``."""

    stakes_held_wei: int
    rewards_reserved_wei: int
    pool_wei: int
    deposits_held_wei: int
    balance_wei: int


@dataclass(frozen=True)
class ItemReview:
    content_hash: bytes
    policy_version: int | None  # None until the review first touches the item
    round: int
    outcome: Outcome
    deposit_paid: bool
    deposit_settled: bool
    deposit_wei: int


@dataclass(frozen=True)
class RoundInfo:
    """A round's progress without its sides: safe to show while the vote is blind."""

    state: RoundState
    settled: bool
    commits: int
    reveals: int
    commit_ends: int
    reveal_ends: int


@dataclass(frozen=True)
class Tally:
    """A round's counted votes, available only once its payouts are fixed."""

    approvals: int
    rejections: int
    share_wei: int


@dataclass(frozen=True)
class Ballot:
    state: BallotState
    claimed: bool
    commitment: bytes


@dataclass(frozen=True)
class Commitment:
    """What a voter must keep to reveal: the side and the salt (the chain holds only their hash)."""

    content_hash: bytes
    round: int
    approve: bool
    salt: bytes
    commitment: bytes
    tx: TxResult


@dataclass(frozen=True)
class Claim:
    content_hash: bytes
    round: int
    amount_wei: int
    tx: TxResult

"""Whether a dataset's reward pool can keep paying its reviewers, said before anyone meets the refusal.

Every vote reserves the policy's ``reward_wei`` from the pool when it is cast, so when the pool holds
less than one reward the contract refuses the vote (``InsufficientPool``): voting on that dataset
pauses until its owner funds the pool again. Nothing is lost meanwhile (items stay Pending, stakes
are untouched), but reviewers would otherwise find out by being refused and owners by hearing of it.
So the owner is warned while the pool still covers fewer than ``LOW_POOL_VOTES`` votes, and reviewers
are told, in the queue, which votes the pool cannot pay before they cast them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sebrus.chain.review_types import ReviewTerms
from sebrus.db.models import Dataset
from sebrus.primitives import format_eth
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.errors import chain_refusals

LOW_POOL_VOTES = 20


@dataclass(frozen=True)
class PoolHealth:
    pool_wei: int
    reward_wei: int  # the current policy's reward per vote

    @property
    def votes_covered(self) -> int | None:
        """How many more votes the pool can reward (None: the policy pays no reward, so any number)."""
        return None if self.reward_wei == 0 else self.pool_wei // self.reward_wei

    @property
    def low(self) -> bool:
        covered = self.votes_covered
        return covered is not None and covered < LOW_POOL_VOTES

    def owner_warning(self) -> str | None:
        """The owner's warning while the pool covers fewer than ``LOW_POOL_VOTES`` votes."""
        covered = self.votes_covered
        if covered is None or not self.low:
            return None
        top_up = format_eth(LOW_POOL_VOTES * self.reward_wei - self.pool_wei)
        if covered == 0:
            left, each = format_eth(self.pool_wei), format_eth(self.reward_wei)
            return (
                f"The reward pool cannot pay another reward ({left} left, {each} a vote): voting is "
                f"paused until you fund it. {top_up} covers the next {LOW_POOL_VOTES} votes."
            )
        return (
            f"The reward pool covers only {covered} more vote{'' if covered == 1 else 's'} "
            f"({format_eth(self.pool_wei)} left, {format_eth(self.reward_wei)} a vote); when it cannot pay a "
            f"reward, voting pauses. {top_up} covers the next {LOW_POOL_VOTES} votes."
        )


def pays(pool_wei: int, terms: ReviewTerms) -> bool:
    """Whether a vote under ``terms`` can be rewarded from a pool holding ``pool_wei`` now."""
    return terms.reward_wei <= pool_wei


def reviewer_notice(terms: ReviewTerms) -> str:
    """What a reviewer reads on an item whose reward the pool cannot pay."""
    reward = format_eth(terms.reward_wei)
    return (
        f"The reward pool cannot pay this vote's reward ({reward}), so the contract would refuse it: "
        "voting here is paused until the dataset's owner funds the pool."
    )


def pool_health(chain: ReviewChain, dataset: Dataset) -> PoolHealth:
    """The dataset's pool and its current policy's reward, read from the chain."""
    address = chain.address_of(dataset)
    with chain_refusals("read the reward pool"):
        books = chain.reviews.books(address)
        reward = chain.reviews.policy(address).terms.reward_wei
    return PoolHealth(books.pool_wei, reward)

"""Review's safeguards from issue 15: the minimum age before an x = 0 item is approved (item 1) and
the refund path for a round the dataset's owner froze by revoking the review's resolver role (item 9)."""

from __future__ import annotations

import pytest
from web3.contract import Contract

from tests.support.contracts import APPROVED, PENDING, content_hash, events
from tests.support.review_contracts import (
    ETHER,
    EXPIRED,
    RESOLVED,
    RESOLVER_ROLE,
    ReviewChain,
    Terms,
    accounts_of,
)

STAKE = ETHER // 10
REWARD = ETHER // 100
GRACE = 600
STALL_TIMEOUT = 14 * 86400


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


@pytest.fixture
def voters(chain: ReviewChain) -> list[str]:
    return chain.accounts[5:10]


def _review(chain: ReviewChain, dataset: Contract, owner: str, terms: Terms) -> Contract:
    review = chain.create_review(dataset, owner, terms)
    chain.pay(review.functions.fundPool(), owner, ETHER)
    return review


def _item(chain: ReviewChain, dataset: Contract, contributor: str, tag: str) -> tuple[bytes, int]:
    """The item and the block time it was anchored at."""
    item = content_hash(tag)
    receipt = chain.send(dataset.functions.submit(item, 0, b""), contributor)
    return item, chain.block_timestamp(receipt)


def _status(dataset: Contract, item: bytes) -> int:
    return int(dataset.functions.getItem(item).call()[3])


def _claim(chain: ReviewChain, review: Contract, item: bytes, voter: str, round_index: int) -> int:
    before = chain.balance(voter)
    receipt = chain.send(review.functions.claim(item, round_index), voter)
    return chain.balance(voter) - before + receipt["gasUsed"] * receipt["effectiveGasPrice"]


def test_the_review_says_its_version_and_stall_timeout(
    chain: ReviewChain, dataset: Contract, owner: str
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=0, finalize_delay=GRACE))
    assert review.functions.reviewVersion().call() == 3
    assert review.functions.STALL_TIMEOUT().call() == STALL_TIMEOUT
    terms, _ = review.functions.policyAt(0).call()
    assert terms[-1] == GRACE


# ---------------------------------------------------------------- item 1: minimum age


def test_x_zero_finalize_waits_for_the_policy_delay_after_anchoring(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=0, finalize_delay=GRACE))
    item, anchored = _item(chain, dataset, contributor, "too young")
    not_before = anchored + GRACE
    chain.expect_revert(review.functions.finalize(item), contributor, "FinalizeTooEarly", item, not_before)
    chain.expect_revert(review.functions.finalize(item), voters[0], "FinalizeTooEarly", item, not_before)
    chain.advance_time_to(not_before - 2)
    chain.expect_revert(review.functions.finalize(item), contributor, "FinalizeTooEarly", item, not_before)
    assert _status(dataset, item) == PENDING
    chain.advance_time_to(not_before)
    receipt = chain.send(review.functions.finalize(item), contributor)
    assert events(review, "ItemReviewed", receipt)[0]["args"]["approved"] is True
    assert _status(dataset, item) == APPROVED


def test_a_delay_change_applies_to_items_anchored_after_it(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=0))
    early, _ = _item(chain, dataset, contributor, "before the delay")
    chain.send(review.functions.setPolicy(Terms(quorum=0, finalize_delay=GRACE).tuple()), owner)
    chain.advance(2)
    late, anchored = _item(chain, dataset, contributor, "after the delay")
    chain.send(review.functions.finalize(early), contributor)
    chain.expect_revert(
        review.functions.finalize(late), contributor, "FinalizeTooEarly", late, anchored + GRACE
    )


def test_a_delay_longer_than_the_longest_window_is_refused(
    chain: ReviewChain, dataset: Contract, owner: str
) -> None:
    too_long = Terms(quorum=0, finalize_delay=30 * 86400 + 1)
    chain.expect_revert(
        chain.factory.functions.createReview(dataset.address, too_long.tuple()),
        owner,
        "FinalizeDelayTooLong",
        30 * 86400 + 1,
        30 * 86400,
    )


# ---------------------------------------------------------------- item 9: stalled rounds


def _frozen_round(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str], tag: str
) -> tuple[Contract, bytes]:
    """Two votes of three needed are in; then the owner revokes the review's resolver role."""
    review = _review(chain, dataset, owner, Terms(quorum=2, reward=REWARD))
    item, _ = _item(chain, dataset, contributor, tag)
    chain.pay(review.functions.vote(item, True), voters[0], STAKE)
    chain.pay(review.functions.vote(item, False), voters[1], STAKE)
    chain.send(dataset.functions.revokeRole(RESOLVER_ROLE, review.address), owner)
    return review, item


def test_a_frozen_round_expires_after_the_timeout_and_every_voter_takes_back_their_stake(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review, item = _frozen_round(chain, dataset, owner, contributor, voters, "frozen")
    # The deciding vote cannot resolve the item: it reverts whole.
    tx = review.functions.vote(item, True).transact({"from": voters[2], "value": STAKE, "gas": 2_000_000})
    assert chain.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert accounts_of(review) == (2 * STAKE, 2 * REWARD, ETHER - 2 * REWARD, 0)
    chain.expect_revert(review.functions.finalize(item), voters[2], "NothingToFinalize", item)

    chain.advance(STALL_TIMEOUT)
    receipt = chain.send(review.functions.finalize(item), voters[2])
    (expired,) = events(review, "RoundExpired", receipt)
    assert expired["args"]["round"] == 0
    assert expired["args"]["ballots"] == 2
    assert expired["args"]["toPool"] == 2 * REWARD
    assert review.functions.roundInfo(item, 0).call()[0] == EXPIRED
    assert review.functions.itemReview(item).call()[2] == 1  # the next vote opens round 1
    # The owner can take back the pool only; the stakes are the voters'.
    assert accounts_of(review) == (2 * STAKE, 0, ETHER, 0)
    assert review.functions.claimable(item, 0, voters[0]).call() == STAKE
    assert _claim(chain, review, item, voters[0], 0) == STAKE
    assert _claim(chain, review, item, voters[1], 0) == STAKE
    chain.expect_revert(review.functions.claim(item, 0), voters[0], "AlreadyClaimed", item, 0, voters[0])
    assert accounts_of(review) == (0, 0, ETHER, 0)
    assert chain.balance(review.address) == sum(accounts_of(review))
    assert _status(dataset, item) == PENDING


def test_a_round_does_not_expire_before_the_timeout_or_while_the_review_can_resolve(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review, item = _frozen_round(chain, dataset, owner, contributor, voters, "not yet")
    chain.advance(STALL_TIMEOUT - 10)
    chain.expect_revert(review.functions.finalize(item), voters[2], "NothingToFinalize", item)
    chain.send(dataset.functions.grantRole(RESOLVER_ROLE, review.address), owner)
    chain.advance(20)
    chain.expect_revert(review.functions.finalize(item), voters[2], "NothingToFinalize", item)
    # With the role back, the deciding vote resolves the item as usual.
    chain.pay(review.functions.vote(item, True), voters[2], STAKE)
    assert review.functions.roundInfo(item, 0).call()[0] == RESOLVED
    assert _status(dataset, item) == APPROVED


def test_after_expiry_a_new_round_takes_votes_once_the_role_is_back(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review, item = _frozen_round(chain, dataset, owner, contributor, voters, "second round")
    chain.advance(STALL_TIMEOUT)
    chain.send(review.functions.finalize(item), voters[3])
    chain.send(dataset.functions.grantRole(RESOLVER_ROLE, review.address), owner)
    chain.pay(review.functions.vote(item, False), voters[0], STAKE)
    chain.pay(review.functions.vote(item, False), voters[1], STAKE)
    assert _status(dataset, item) != PENDING
    assert _claim(chain, review, item, voters[0], 0) == STAKE
    assert _claim(chain, review, item, voters[0], 1) == STAKE + REWARD
    assert chain.balance(review.address) == sum(accounts_of(review))

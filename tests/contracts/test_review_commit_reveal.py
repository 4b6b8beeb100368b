"""Review in commit-reveal mode: windows, early close, forfeits, failed rounds and settlement."""

from __future__ import annotations

import pytest
from web3.contract import Contract

from tests.support.contracts import APPROVED, PENDING, REJECTED, content_hash, events
from tests.support.review_contracts import (
    ETHER,
    FAILED,
    OPEN,
    RESOLVED,
    ReviewChain,
    Terms,
    accounts_of,
    commitment,
    salt_for,
)

STAKE = ETHER // 10
REWARD = ETHER // 100
COMMIT_S, REVEAL_S = 600, 600
CR = Terms(
    quorum=2, commit_reveal=True, commit_window=COMMIT_S, reveal_window=REVEAL_S, stake=STAKE, reward=REWARD
)


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


@pytest.fixture
def voters(chain: ReviewChain) -> list[str]:
    return chain.accounts[5:10]


@pytest.fixture
def review(chain: ReviewChain, dataset: Contract, owner: str) -> Contract:
    review = chain.create_review(dataset, owner, CR)
    chain.pay(review.functions.fundPool(), owner, ETHER)
    return review


def _item(chain: ReviewChain, dataset: Contract, contributor: str, tag: str) -> bytes:
    item = content_hash(tag)
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    return item


def _commit(chain: ReviewChain, review: Contract, item: bytes, voter: str, approve: bool, tag: object = 0):
    return chain.pay(
        review.functions.commit(item, commitment(approve, salt_for(voter, tag), voter)), voter, STAKE
    )


def _reveal(chain: ReviewChain, review: Contract, item: bytes, voter: str, approve: bool, tag: object = 0):
    return chain.send(review.functions.reveal(item, approve, salt_for(voter, tag)), voter)


def _status(dataset: Contract, item: bytes) -> int:
    return int(dataset.functions.getItem(item).call()[3])


def _books_balance(chain: ReviewChain, review: Contract) -> bool:
    return chain.balance(review.address) == sum(accounts_of(review))


def test_the_commit_phase_closes_early_at_2x_minus_1_and_the_xth_reveal_resolves(
    chain: ReviewChain, dataset: Contract, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr resolve")
    a, b, c, d = voters[:4]
    _commit(chain, review, item, a, True)
    _commit(chain, review, item, b, False)
    receipt = _commit(chain, review, item, c, True)
    (closed,) = events(review, "CommitPhaseClosed", receipt)
    assert closed["args"]["revealEnds"] == chain.block_timestamp(receipt) + REVEAL_S
    chain.expect_paid_revert(
        review.functions.commit(item, commitment(True, salt_for(d), d)), d, STAKE, "CommitClosed", item, 0
    )

    _reveal(chain, review, item, a, True)
    _reveal(chain, review, item, b, False)
    assert _status(dataset, item) == PENDING
    receipt = _reveal(chain, review, item, c, True)
    assert _status(dataset, item) == APPROVED
    # everyone revealed, so the round settles with the deciding reveal
    (settled,) = events(review, "RoundSettled", receipt)
    assert (settled["args"]["winners"], settled["args"]["losers"], settled["args"]["unrevealed"]) == (2, 1, 0)
    before = chain.balance(a)
    claim = chain.send(review.functions.claim(item, 0), a)
    assert (
        chain.balance(a) - before + claim["gasUsed"] * claim["effectiveGasPrice"]
        == STAKE + REWARD + STAKE // 2
    )
    chain.expect_revert(review.functions.claim(item, 0), b, "NotAWinner", item, 0, b)
    assert _books_balance(chain, review)


def test_a_reveal_that_does_not_match_its_commit_is_refused(
    chain: ReviewChain, dataset: Contract, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr mismatch")
    a, b, c = voters[:3]
    for voter in (a, b, c):
        _commit(chain, review, item, voter, True)
    fn = review.functions.reveal(item, False, salt_for(a))  # other side than committed
    chain.expect_revert(fn, a, "CommitmentMismatch", item, a)
    fn = review.functions.reveal(item, True, salt_for(a, "other salt"))
    chain.expect_revert(fn, a, "CommitmentMismatch", item, a)
    # b cannot reveal a's commitment as their own
    chain.expect_revert(review.functions.reveal(item, True, salt_for(a)), b, "CommitmentMismatch", item, b)
    _reveal(chain, review, item, a, True)
    chain.expect_revert(review.functions.reveal(item, True, salt_for(a)), a, "AlreadyRevealed", item, 0, a)
    chain.expect_revert(
        review.functions.reveal(item, True, salt_for(a)), voters[3], "NoBallot", item, 0, voters[3]
    )


def test_reveals_wait_for_the_commit_window_and_stop_after_the_reveal_window(
    chain: ReviewChain, dataset: Contract, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr windows")
    a, b = voters[:2]
    receipt = _commit(chain, review, item, a, False)
    commit_ends = chain.block_timestamp(receipt) + COMMIT_S
    chain.expect_revert(
        review.functions.reveal(item, False, salt_for(a)), a, "RevealNotOpen", item, commit_ends
    )
    chain.advance_time_to(commit_ends)
    chain.expect_paid_revert(
        review.functions.commit(item, commitment(True, salt_for(b), b)), b, STAKE, "CommitClosed", item, 0
    )
    chain.advance_time_to(commit_ends + REVEAL_S)
    chain.expect_revert(
        review.functions.reveal(item, False, salt_for(a)), a, "RevealClosed", item, commit_ends + REVEAL_S
    )


def test_a_round_without_a_decision_fails_refunds_reveals_forfeits_the_rest_and_reopens(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr fail")
    a, b, c = voters[:3]
    pool_before = accounts_of(review)[2]
    receipt = _commit(chain, review, item, a, True)
    _commit(chain, review, item, b, False)
    commit_ends = chain.block_timestamp(receipt) + COMMIT_S
    chain.advance_time_to(commit_ends)
    _reveal(chain, review, item, a, True)  # b never reveals; 1 approval < x = 2
    chain.expect_revert(review.functions.finalize(item), c, "NothingToFinalize", item)
    chain.advance_time_to(commit_ends + REVEAL_S)
    receipt = chain.send(review.functions.finalize(item), c)
    (failed,) = events(review, "RoundFailed", receipt)
    assert (failed["args"]["revealed"], failed["args"]["unrevealed"]) == (1, 1)
    assert failed["args"]["toPool"] == STAKE + 2 * REWARD
    assert review.functions.roundInfo(item, 0).call()[0] == FAILED
    assert review.functions.itemReview(item).call()[2] == 1  # next round
    assert accounts_of(review) == (STAKE, 0, pool_before + STAKE, 0)
    assert _books_balance(chain, review)

    before = chain.balance(a)
    claim = chain.send(review.functions.claim(item, 0), a)
    assert chain.balance(a) - before + claim["gasUsed"] * claim["effectiveGasPrice"] == STAKE
    chain.expect_revert(review.functions.claim(item, 0), b, "StakeForfeited", item, 0, b)

    # round 1: a fresh ballot for everyone, including the voters of round 0
    _commit(chain, review, item, a, False, tag=1)
    _commit(chain, review, item, b, False, tag=1)
    _commit(chain, review, item, c, True, tag=1)
    _reveal(chain, review, item, b, False, tag=1)
    _reveal(chain, review, item, a, False, tag=1)
    assert _status(dataset, item) == REJECTED
    assert review.functions.roundInfo(item, 1).call()[0] == RESOLVED
    assert _books_balance(chain, review)


def test_a_commit_after_an_expired_round_fails_it_and_opens_the_next(
    chain: ReviewChain, dataset: Contract, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr lazy fail")
    receipt = _commit(chain, review, item, voters[0], True)
    chain.advance_time_to(chain.block_timestamp(receipt) + COMMIT_S + REVEAL_S)
    receipt = _commit(chain, review, item, voters[0], True, tag="again")
    assert events(review, "RoundFailed", receipt)
    (committed,) = events(review, "VoteCommitted", receipt)
    assert committed["args"]["round"] == 1
    assert review.functions.roundInfo(item, 1).call()[0] == OPEN


def test_unrevealed_stakes_are_forfeited_and_winners_wait_for_the_reveal_window(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr forfeit")
    a, b, c = voters[:3]
    for voter, side in ((a, False), (b, False), (c, True)):
        receipt = _commit(chain, review, item, voter, side)
    reveal_ends = chain.block_timestamp(receipt) + REVEAL_S
    _reveal(chain, review, item, a, False)
    _reveal(chain, review, item, b, False)
    assert _status(dataset, item) == REJECTED
    chain.expect_revert(review.functions.claim(item, 0), a, "RoundNotSettled", item, 0, reveal_ends)
    chain.expect_view_revert(review.functions.tally(item, 0), "TallyNotFinal", item, 0)
    assert review.functions.claimable(item, 0, a).call() == 0
    chain.advance_time_to(reveal_ends)
    assert review.functions.claimable(item, 0, a).call() == STAKE + REWARD  # no loser revealed
    chain.expect_revert(
        review.functions.reveal(item, True, salt_for(c)), c, "RevealClosed", item, reveal_ends
    )
    before = chain.balance(a)
    claim = chain.send(review.functions.claim(item, 0), a)  # settles on the way
    assert chain.balance(a) - before + claim["gasUsed"] * claim["effectiveGasPrice"] == STAKE + REWARD
    (settled,) = events(review, "RoundSettled", claim)
    assert settled["args"]["unrevealed"] == 1
    assert settled["args"]["toPool"] == STAKE + REWARD
    chain.expect_revert(review.functions.claim(item, 0), c, "StakeForfeited", item, 0, c)
    assert review.functions.tally(item, 0).call() == [0, 2, 0]
    assert _books_balance(chain, review)


def test_a_late_reveal_on_the_losing_side_is_slashed_to_the_winners(
    chain: ReviewChain, dataset: Contract, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr late loser")
    a, b, c = voters[:3]
    for voter, side in ((a, True), (b, True), (c, False)):
        _commit(chain, review, item, voter, side)
    _reveal(chain, review, item, a, True)
    _reveal(chain, review, item, b, True)
    assert _status(dataset, item) == APPROVED
    receipt = _reveal(chain, review, item, c, False)  # last reveal settles the round
    assert events(review, "RoundSettled", receipt)[0]["args"]["share"] == STAKE // 2
    chain.expect_revert(review.functions.finalize(item), c, "NothingToFinalize", item)
    chain.expect_revert(review.functions.claim(item, 0), c, "NotAWinner", item, 0, c)


def test_plain_votes_and_commits_each_need_their_own_mode(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, review: Contract, voters: list[str]
) -> None:
    item = _item(chain, dataset, contributor, "cr modes")
    chain.expect_paid_revert(
        review.functions.vote(item, True), voters[0], STAKE, "CommitRevealRequired", item
    )
    chain.expect_paid_revert(review.functions.commit(item, b"\x00" * 32), voters[0], STAKE, "ZeroCommitment")
    other = chain.create_dataset(owner)
    plain = chain.create_review(other, owner, Terms())
    chain.expect_paid_revert(
        plain.functions.commit(item, b"\x01" * 32), voters[0], STAKE, "UnknownItem", item
    )
    chain.send(other.functions.submit(item, 0, b""), contributor)
    fn = plain.functions.commit(item, b"\x01" * 32)
    chain.expect_paid_revert(fn, voters[0], STAKE, "CommitRevealOff", item)

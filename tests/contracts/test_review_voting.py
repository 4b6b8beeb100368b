"""Review in plain mode: the resolution rule, payouts, and every refusal a voter can meet."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import APPROVED, PENDING, QUARANTINED, REJECTED, content_hash, events
from tests.support.review_contracts import (
    APPROVE,
    ETHER,
    OUTCOME_APPROVED,
    OUTCOME_REJECTED,
    REJECT,
    RESOLVED,
    VOTER_ROLE,
    ReviewChain,
    Terms,
    accounts_of,
)

STAKE = ETHER // 10
REWARD = ETHER // 100
REPORT = keccak(text="detector report")


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


@pytest.fixture
def voters(chain: ReviewChain) -> list[str]:
    return chain.accounts[5:10]


def _review(chain: ReviewChain, dataset: Contract, owner: str, terms: Terms, pool: int = ETHER) -> Contract:
    review = chain.create_review(dataset, owner, terms)
    if pool:
        chain.pay(review.functions.fundPool(), owner, pool)
    return review


def _item(chain: ReviewChain, dataset: Contract, contributor: str, tag: str) -> bytes:
    item = content_hash(tag)
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    return item


def _status(dataset: Contract, item: bytes) -> int:
    return int(dataset.functions.getItem(item).call()[3])


def _vote(chain: ReviewChain, review: Contract, item: bytes, voter: str, approve: bool, stake: int = STAKE):
    return chain.pay(review.functions.vote(item, approve), voter, stake)


def _claim(chain: ReviewChain, review: Contract, item: bytes, voter: str, round_index: int = 0) -> int:
    """The claim's net effect on the voter's balance (gas price is zero on eth-tester)."""
    before = chain.balance(voter)
    receipt = chain.send(review.functions.claim(item, round_index), voter)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return chain.balance(voter) - before + gas_cost


def _assert_books_balance(chain: ReviewChain, review: Contract) -> None:
    assert chain.balance(review.address) == sum(accounts_of(review))


def test_approvals_reaching_x_first_approve_and_winners_take_the_losers_stake(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2, stake=STAKE, reward=REWARD))
    item = _item(chain, dataset, contributor, "good cat")
    a, b, c = voters[:3]

    receipt = _vote(chain, review, item, a, True)
    (cast,) = events(review, "VoteCast", receipt)
    assert (cast["args"]["voter"], cast["args"]["approve"], cast["args"]["stake"]) == (a, True, STAKE)
    assert _status(dataset, item) == PENDING
    _vote(chain, review, item, b, False)
    assert _status(dataset, item) == PENDING
    receipt = _vote(chain, review, item, c, True)

    assert _status(dataset, item) == APPROVED
    (reviewed,) = events(review, "ItemReviewed", receipt)
    assert reviewed["args"]["approved"] is True
    assert (reviewed["args"]["approvals"], reviewed["args"]["rejections"]) == (2, 1)
    (settled,) = events(review, "RoundSettled", receipt)
    assert (settled["args"]["winners"], settled["args"]["losers"], settled["args"]["share"]) == (
        2,
        1,
        STAKE // 2,
    )
    assert review.functions.itemReview(item).call()[3] == OUTCOME_APPROVED
    assert review.functions.tally(item, 0).call() == [2, 1, STAKE // 2]
    _assert_books_balance(chain, review)

    assert review.functions.claimable(item, 0, a).call() == STAKE + REWARD + STAKE // 2
    assert _claim(chain, review, item, a) == STAKE + REWARD + STAKE // 2
    assert _claim(chain, review, item, c) == STAKE + REWARD + STAKE // 2
    chain.expect_revert(review.functions.claim(item, 0), b, "NotAWinner", item, 0, b)
    chain.expect_revert(review.functions.claim(item, 0), a, "AlreadyClaimed", item, 0, a)
    assert review.functions.claimable(item, 0, a).call() == 0
    # the loser's reward went back to the pool; nothing is left held for this item
    assert accounts_of(review) == (0, 0, ETHER - REWARD * 2, 0)
    _assert_books_balance(chain, review)


def test_rejections_reaching_x_first_reject_and_dust_goes_to_the_pool(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    stake = 1000 + 1  # 3 losers' stakes split between 4 winners leaves rounding dust
    review = _review(chain, dataset, owner, Terms(quorum=4, stake=stake, reward=0), pool=0)
    item = _item(chain, dataset, contributor, "flipped label")
    extra = chain.accounts[4]
    sides = [(voters[0], True), (voters[1], False), (voters[2], True), (voters[3], False)]
    sides += [(voters[4], False), (extra, True), (owner, False)]
    for voter, approve in sides:
        _vote(chain, review, item, voter, approve, stake)
    assert _status(dataset, item) == REJECTED
    share = 3 * stake // 4
    dust = 3 * stake - 4 * share
    assert review.functions.tally(item, 0).call() == [3, 4, share]
    assert accounts_of(review) == (4 * (stake + share), 0, dust, 0)
    assert _claim(chain, review, item, voters[1]) == stake + share
    chain.expect_revert(review.functions.claim(item, 0), voters[0], "NotAWinner", item, 0, voters[0])
    _assert_books_balance(chain, review)


def test_a_vote_on_a_resolved_item_is_refused(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=1))
    item = _item(chain, dataset, contributor, "quick")
    _vote(chain, review, item, voters[0], False)
    assert _status(dataset, item) == REJECTED
    before = accounts_of(review)
    chain.expect_paid_revert(review.functions.vote(item, True), voters[1], STAKE, "AlreadyResolved", item)
    assert accounts_of(review) == before


def test_voting_twice_a_wrong_stake_and_voting_on_your_own_item_are_refused(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=3))
    item = _item(chain, dataset, contributor, "refusals")
    _vote(chain, review, item, voters[0], True)
    before = (accounts_of(review), review.functions.ballotOf(item, 0, voters[0]).call())
    fn = review.functions.vote(item, False)
    chain.expect_paid_revert(fn, voters[0], STAKE, "AlreadyVoted", item, 0, voters[0])
    chain.expect_paid_revert(fn, voters[1], STAKE - 1, "WrongStake", STAKE - 1, STAKE)
    chain.expect_paid_revert(fn, voters[1], STAKE + 1, "WrongStake", STAKE + 1, STAKE)
    chain.expect_paid_revert(fn, contributor, STAKE, "OwnContribution", item, contributor)
    assert (accounts_of(review), review.functions.ballotOf(item, 0, voters[0]).call()) == before
    assert review.functions.roundInfo(item, 0).call()[2] == 1  # still one ballot


def test_allow_list_mode_takes_only_listed_voters(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=1, open_voting=False, stake=0, reward=REWARD))
    item = _item(chain, dataset, contributor, "poa")
    chain.expect_paid_revert(review.functions.vote(item, True), voters[0], 0, "NotAllowedVoter", voters[0])
    chain.expect_revert(
        review.functions.grantRole(VOTER_ROLE, voters[0]),
        voters[0],
        "AccessControlUnauthorizedAccount",
        voters[0],
        b"\x00" * 32,
    )
    receipt = chain.send(review.functions.grantRole(VOTER_ROLE, voters[0]), owner)
    assert events(review, "RoleGranted", receipt)
    _vote(chain, review, item, voters[0], True, 0)
    assert _status(dataset, item) == APPROVED
    assert _claim(chain, review, item, voters[0]) == REWARD


def test_open_voting_without_a_stake_is_refused_as_policy(
    chain: ReviewChain, dataset: Contract, owner: str
) -> None:
    terms = Terms(open_voting=True, stake=0)
    chain.expect_revert(
        chain.factory.functions.createReview(dataset.address, terms.tuple()), owner, "OpenVotingNeedsStake"
    )


def test_x_zero_approves_on_finalize_and_takes_no_votes(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=0))
    item = _item(chain, dataset, contributor, "x zero")
    assert review.functions.votesRequired(item).call() == 0
    chain.expect_paid_revert(review.functions.vote(item, False), voters[0], STAKE, "NoVoteNeeded", item)
    receipt = chain.send(review.functions.finalize(item), voters[0])
    assert events(review, "ItemReviewed", receipt)[0]["args"]["approved"] is True
    assert _status(dataset, item) == APPROVED
    chain.expect_revert(review.functions.finalize(item), voters[0], "NothingToFinalize", item)


def test_a_quarantined_item_needs_a_vote_even_when_x_is_zero(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, detector: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=0))
    item = _item(chain, dataset, contributor, "flagged at x zero")
    chain.send(dataset.functions.quarantine(item, REPORT), detector)
    assert review.functions.votesRequired(item).call() == 1
    chain.expect_revert(review.functions.finalize(item), voters[0], "NothingToFinalize", item)
    assert _status(dataset, item) == QUARANTINED
    _vote(chain, review, item, voters[0], False)
    assert _status(dataset, item) == REJECTED


def test_a_quarantined_item_needs_x_votes_when_x_is_positive(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, detector: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2))
    item = _item(chain, dataset, contributor, "flagged at x two")
    _vote(chain, review, item, voters[0], True)
    chain.send(dataset.functions.quarantine(item, REPORT), detector)
    assert review.functions.votesRequired(item).call() == 2
    _vote(chain, review, item, voters[1], True)
    assert _status(dataset, item) == APPROVED


def test_a_vote_needs_the_pool_to_cover_its_reward(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2, reward=REWARD), pool=REWARD)
    item = _item(chain, dataset, contributor, "thin pool")
    _vote(chain, review, item, voters[0], True)
    chain.expect_paid_revert(
        review.functions.vote(item, True), voters[1], STAKE, "InsufficientPool", REWARD, 0
    )
    assert accounts_of(review) == (STAKE, REWARD, 0, 0)


def test_claims_before_resolution_or_without_a_ballot_are_refused(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2))
    item = _item(chain, dataset, contributor, "early claim")
    _vote(chain, review, item, voters[0], True)
    chain.expect_revert(review.functions.claim(item, 0), voters[0], "RoundStillOpen", item, 0)
    chain.expect_revert(review.functions.claim(item, 0), voters[1], "NoBallot", item, 0, voters[1])
    chain.expect_view_revert(review.functions.tally(item, 0), "TallyNotFinal", item, 0)


def test_without_the_resolver_role_the_deciding_vote_reverts_whole(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=1, reward=0), grant=False)
    item = _item(chain, dataset, contributor, "no role")
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        review.functions.vote(item, True).transact({"from": voters[0], "value": STAKE, "gas": 2_000_000})
    )
    assert receipt["status"] == 0
    assert accounts_of(review) == (0, 0, 0, 0)
    assert review.functions.ballotOf(item, 0, voters[0]).call()[0] == 0


def test_an_item_resolved_elsewhere_is_aborted_and_every_stake_refunded(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=3))
    item = _item(chain, dataset, contributor, "overruled")
    _vote(chain, review, item, voters[0], True)
    _vote(chain, review, item, voters[1], False)
    chain.send(dataset.functions.grantRole(keccak(text="RESOLVER_ROLE"), owner), owner)
    chain.send(dataset.functions.resolve(item, False), owner)
    chain.expect_paid_revert(review.functions.vote(item, True), voters[2], STAKE, "AlreadyResolved", item)
    receipt = chain.send(review.functions.finalize(item), voters[2])
    (aborted,) = events(review, "ReviewAborted", receipt)
    assert aborted["args"]["outcome"] == OUTCOME_REJECTED
    assert _claim(chain, review, item, voters[0]) == STAKE
    assert _claim(chain, review, item, voters[1]) == STAKE
    assert accounts_of(review) == (0, 0, ETHER, 0)


def test_ballots_record_sides_and_rounds_stay_blind(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2))
    item = _item(chain, dataset, contributor, "ballots")
    _vote(chain, review, item, voters[0], True)
    _vote(chain, review, item, voters[1], False)
    assert review.functions.ballotOf(item, 0, voters[0]).call()[0] == APPROVE
    assert review.functions.ballotOf(item, 0, voters[1]).call()[0] == REJECT
    info = review.functions.roundInfo(item, 0).call()
    assert info[:4] == (0, False, 2, 2)  # state Open, not settled, 2 ballots, 2 counted; no sides
    _vote(chain, review, item, voters[2], False)
    assert review.functions.roundInfo(item, 0).call()[0] == RESOLVED

"""The ReviewLedger: the review network through typed Python, on the embedded chain and on anvil."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from sebrus.chain import ContractReverted, InvalidInput, ItemStatus
from sebrus.chain.deployments import load_review_deployment, save_review_deployment
from sebrus.chain.review import (
    GAS_CLAIM,
    GAS_COMMIT,
    GAS_REVEAL,
    GAS_VOTE,
    ReviewLedger,
    commitment_hash,
)
from sebrus.chain.review_types import BallotState, Outcome, ReviewTerms, RoundState
from sebrus.chain.types import DatasetInfo
from tests.support.chain import ChainKit

STAKE = 10**15
REWARD = 10**14


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@pytest.fixture(scope="module")
def review(chain: ChainKit) -> ReviewLedger:
    reviews = ReviewLedger(chain.ledger)
    reviews.deploy(chain.handle.operators.deployer)
    return reviews


def _dataset_with_review(
    chain: ChainKit, review: ReviewLedger, terms: ReviewTerms
) -> tuple[LocalAccount, DatasetInfo]:
    owner = chain.funded_account()
    info = chain.dataset(owner, name=f"reviewed {terms.quorum} {terms.commit_reveal}")
    review.create_review(owner, info.address, terms)
    review.fund_pool(owner, info.address, 10 * REWARD)
    return owner, info


def _advance(chain: ChainKit, seconds: int) -> None:
    w3 = chain.ledger.w3
    if chain.backend == "embedded":
        tester = w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(int(w3.eth.get_block("latest")["timestamp"]) + seconds)
        tester.mine_blocks(1)
    else:
        w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def test_create_review_makes_the_clone_the_datasets_resolver(chain: ChainKit, review: ReviewLedger) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner, name="attach")
    assert review.review_address(info.address) is None
    start = chain.ledger.block_number()
    terms = ReviewTerms(quorum=3, stake_wei=STAKE, reward_wei=REWARD, open_voting=True)
    address = review.create_review(owner, info.address, terms)
    assert review.review_address(info.address) == address
    assert review.is_attached(info.address)
    assert review.attach_review(owner, info.address) is None  # already the resolver
    policy = review.policy(info.address)
    assert (policy.version, policy.effective_from, policy.terms) == (0, 0, terms)
    names = [e.name for e in chain.ledger.events(start) if e.address in (address, review.deployment.factory)]
    assert {"ReviewCreated", "ReviewInitialized", "PolicySet", "RoleGranted"} <= set(names)
    with pytest.raises(InvalidInput, match="already has a review"):
        review.create_review(owner, info.address, terms)


def test_plain_review_from_vote_to_claim(chain: ChainKit, review: ReviewLedger) -> None:
    terms = ReviewTerms(quorum=2, stake_wei=STAKE, reward_wei=REWARD, open_voting=True)
    owner, info = _dataset_with_review(chain, review, terms)
    contributor, yes1, no, yes2 = (chain.funded_account() for _ in range(4))
    item = digest("plain item")
    chain.ledger.submit(contributor, info.address, item, "cat")

    first = review.vote(yes1, info.address, item, True)
    assert [e.name for e in first.events] == ["ItemOpened", "VoteCast"]
    assert first.events[1].args["voter"] == yes1.address
    review.vote(no, info.address, item, False)
    assert review.tally(info.address, item, 0) is None  # blind until settled
    deciding = review.vote(yes2, info.address, item, True)
    assert deciding.gas_used < GAS_VOTE * 0.8
    assert {"ItemReviewed", "RoundSettled", "ItemResolved"} <= {e.name for e in deciding.events}

    stored = chain.ledger.get_item(info.address, item)
    assert stored is not None and stored.status == ItemStatus.APPROVED
    assert review.item_review(info.address, item).outcome == Outcome.APPROVED
    tally = review.tally(info.address, item, 0)
    assert tally is not None and (tally.approvals, tally.rejections, tally.share_wei) == (2, 1, STAKE // 2)
    assert review.ballot(info.address, item, 0, no.address).state == BallotState.REJECT

    expected = STAKE + REWARD + STAKE // 2
    assert review.claimable(info.address, item, 0, yes1.address) == expected
    claim = review.claim(yes1, info.address, item)
    assert claim.amount_wei == expected and claim.tx.gas_used < GAS_CLAIM * 0.8
    with pytest.raises(ContractReverted) as refused:
        review.claim(yes1, info.address, item)
    assert refused.value.error == "AlreadyClaimed"
    with pytest.raises(ContractReverted) as refused:
        review.claim(no, info.address, item)
    assert refused.value.error == "NotAWinner"
    with pytest.raises(ContractReverted) as refused:
        review.vote(no, info.address, item, True)
    assert refused.value.error == "AlreadyResolved"

    books = review.books(info.address)
    assert books.balance_wei == (
        books.stakes_held_wei + books.rewards_reserved_wei + books.pool_wei + books.deposits_held_wei
    )
    assert books.stakes_held_wei == STAKE + STAKE // 2  # yes2 has not claimed yet
    withdrawn = review.withdraw_pool(owner, info.address, books.pool_wei)
    assert withdrawn.events[-1].name == "PoolWithdrawn"
    assert review.books(info.address).pool_wei == 0


def test_commit_reveal_review(chain: ChainKit, review: ReviewLedger) -> None:
    terms = ReviewTerms(
        quorum=1, stake_wei=STAKE, reward_wei=REWARD, open_voting=True, commit_reveal=True,
        commit_window_s=60, reveal_window_s=60,
    )  # fmt: skip
    _, info = _dataset_with_review(chain, review, terms)
    contributor, voter = chain.funded_account(), chain.funded_account()
    item = digest("hidden vote")
    chain.ledger.submit(contributor, info.address, item, "dog")
    with pytest.raises(InvalidInput, match="commit-reveal"):
        review.vote(voter, info.address, item, False)

    committed = review.commit(voter, info.address, item, False)
    assert committed.round == 0 and committed.tx.gas_used < GAS_COMMIT * 0.8
    assert committed.commitment == commitment_hash(False, committed.salt, voter.address)
    assert review.ballot(info.address, item, 0, voter.address).state == BallotState.COMMITTED
    info_round = review.round_info(info.address, item, 0)
    assert (info_round.state, info_round.commits) == (RoundState.OPEN, 1)
    assert info_round.reveal_ends == info_round.commit_ends + 60  # one commit closed it (2x - 1 = 1)

    with pytest.raises(ContractReverted) as refused:
        review.reveal(voter, info.address, item, True, committed.salt)
    assert refused.value.error == "CommitmentMismatch"
    revealed = review.reveal(voter, info.address, item, False, committed.salt)
    assert revealed.gas_used < GAS_REVEAL * 0.8
    stored = chain.ledger.get_item(info.address, item)
    assert stored is not None and stored.status == ItemStatus.REJECTED
    assert review.claim(voter, info.address, item, 0).amount_wei == STAKE + REWARD


def test_a_failed_commit_reveal_round_is_finalized_after_its_window(
    chain: ChainKit, review: ReviewLedger
) -> None:
    terms = ReviewTerms(
        quorum=2,
        stake_wei=STAKE,
        open_voting=True,
        commit_reveal=True,
        commit_window_s=30,
        reveal_window_s=30,
    )
    _, info = _dataset_with_review(chain, review, terms)
    contributor, voter = chain.funded_account(), chain.funded_account()
    item = digest("nobody reveals")
    chain.ledger.submit(contributor, info.address, item, "dog")
    review.commit(voter, info.address, item, True)
    with pytest.raises(ContractReverted) as refused:
        review.finalize(voter, info.address, item)
    assert refused.value.error == "NothingToFinalize"
    _advance(chain, 61)
    result = review.finalize(voter, info.address, item)
    assert "RoundFailed" in [e.name for e in result.events]
    assert review.round_info(info.address, item, 0).state == RoundState.FAILED
    assert review.item_review(info.address, item).round == 1
    assert review.books(info.address).pool_wei == 10 * REWARD + STAKE  # the unrevealed stake


def test_allow_list_and_deposits(chain: ChainKit, review: ReviewLedger) -> None:
    terms = ReviewTerms(quorum=1, stake_wei=0, reward_wei=REWARD, deposit_wei=STAKE)
    owner, info = _dataset_with_review(chain, review, terms)
    contributor, voter = chain.funded_account(), chain.funded_account()
    item = digest("allow-listed")
    chain.ledger.submit(contributor, info.address, item, "bird")
    review.deposit(contributor, info.address, item)
    with pytest.raises(ContractReverted) as refused:
        review.vote(voter, info.address, item, True)
    assert refused.value.error == "NotAllowedVoter"
    review.allow_voter(owner, info.address, voter.address)
    assert review.is_allowed_voter(info.address, voter.address)
    review.vote(voter, info.address, item, True)
    before = chain.ledger.balance(contributor.address)
    refund = review.claim_deposit(contributor, info.address, item)
    assert chain.ledger.balance(contributor.address) > before
    assert [e.name for e in refund.events] == ["DepositRefunded"]
    review.disallow_voter(owner, info.address, voter.address)
    assert not review.is_allowed_voter(info.address, voter.address)


def test_bad_input_is_refused_before_sending(chain: ChainKit, review: ReviewLedger) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner, name="no review yet")
    with pytest.raises(InvalidInput, match="no review contract"):
        review.vote(owner, info.address, digest("x"), True)
    with pytest.raises(InvalidInput, match="x "):
        review.create_review(owner, info.address, ReviewTerms(quorum=101, stake_wei=1))
    with pytest.raises(InvalidInput, match="open voting"):
        review.create_review(owner, info.address, ReviewTerms(quorum=1, stake_wei=0, open_voting=True))
    with pytest.raises(InvalidInput, match="windows"):
        review.create_review(owner, info.address, ReviewTerms(quorum=1, stake_wei=1, commit_reveal=True))
    with pytest.raises(InvalidInput, match="windows apply only"):
        review.create_review(owner, info.address, ReviewTerms(quorum=1, stake_wei=1, reveal_window_s=5))
    review.create_review(owner, info.address, ReviewTerms(quorum=1, stake_wei=1))
    nonce = chain.ledger.w3.eth.get_transaction_count(owner.address)
    with pytest.raises(InvalidInput, match="pool holds 0"):
        review.withdraw_pool(owner, info.address, 1)
    with pytest.raises(InvalidInput, match="positive"):
        review.fund_pool(owner, info.address, 0)
    with pytest.raises(InvalidInput, match="salt"):
        review.reveal(owner, info.address, digest("x"), True, b"short")
    with pytest.raises(InvalidInput, match="content hash"):
        review.vote(owner, info.address, "0x1234", True)
    with pytest.raises(InvalidInput, match="round"):
        review.tally(info.address, digest("x"), -1)
    assert chain.ledger.w3.eth.get_transaction_count(owner.address) == nonce  # nothing was sent


def test_review_deployment_round_trips_through_the_data_dir(tmp_path: Path, review: ReviewLedger) -> None:
    save_review_deployment(tmp_path, review.deployment)
    assert load_review_deployment(tmp_path, review.deployment.chain_id) == review.deployment
    assert load_review_deployment(tmp_path, review.deployment.chain_id + 1) is None

"""Review's factory, policy versions, reward pool and contributor deposits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3.contract import Contract

from tests.support.contracts import APPROVED, REJECTED, content_hash, events
from tests.support.review_contracts import ETHER, ReviewChain, Terms, accounts_of

STAKE = ETHER // 10
REWARD = ETHER // 100
DEPOSIT = ETHER // 20
ADMIN = b"\x00" * 32


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


@pytest.fixture
def voters(chain: ReviewChain) -> list[str]:
    return chain.accounts[5:10]


def _item(chain: ReviewChain, dataset: Contract, contributor: str, tag: str) -> bytes:
    item = content_hash(tag)
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    return item


def _net(chain: ReviewChain, account: str, receipt_fn: Callable[[], Any]) -> int:
    before = chain.balance(account)
    receipt = receipt_fn()
    return chain.balance(account) - before + receipt["gasUsed"] * receipt["effectiveGasPrice"]


# ------------------------------------------------------------------------------------- factory


def test_the_factory_records_one_review_per_dataset_for_its_admin_only(
    chain: ReviewChain, dataset: Contract, owner: str, stranger: str
) -> None:
    fn = chain.factory.functions.createReview(dataset.address, Terms().tuple())
    chain.expect_revert(fn, stranger, "NotDatasetAdmin", dataset.address, stranger)
    receipt = chain.send(fn, owner)
    (created,) = events(chain.factory, "ReviewCreated", receipt)
    review = chain.review_at(created["args"]["review"])
    assert created["args"]["owner"] == owner
    assert chain.factory.functions.reviewOf(dataset.address).call() == review.address
    assert chain.factory.functions.datasetOf(review.address).call() == dataset.address
    assert review.functions.dataset().call() == dataset.address
    assert review.functions.hasRole(ADMIN, owner).call() is True
    chain.expect_revert(fn, owner, "ReviewExists", dataset.address, review.address)
    chain.expect_revert(
        review.functions.initialize(dataset.address, stranger, Terms().tuple()),
        stranger,
        "InvalidInitialization",
    )
    impl = chain.review_implementation
    chain.expect_revert(
        impl.functions.initialize(dataset.address, stranger, Terms().tuple()),
        stranger,
        "InvalidInitialization",
    )


def test_plain_ether_sent_to_a_review_is_refused(
    chain: ReviewChain, dataset: Contract, owner: str, stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms())
    tx = chain.w3.eth.send_transaction({"from": stranger, "to": review.address, "value": 1, "gas": 100_000})
    assert chain.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert chain.balance(review.address) == 0


# ------------------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("terms", "error", "args"),
    [
        (Terms(quorum=101), "QuorumTooLarge", (101, 100)),
        (Terms(open_voting=True, stake=0), "OpenVotingNeedsStake", ()),
        (Terms(commit_reveal=True, commit_window=0, reveal_window=60), "InvalidWindow", (0, 60)),
        (Terms(commit_reveal=True, commit_window=60, reveal_window=0), "InvalidWindow", (60, 0)),
        (
            Terms(commit_reveal=True, commit_window=31 * 86400, reveal_window=60),
            "InvalidWindow",
            (31 * 86400, 60),
        ),
        (Terms(commit_reveal=False, commit_window=60), "InvalidWindow", (60, 0)),
    ],
)
def test_bad_terms_are_refused(
    chain: ReviewChain, dataset: Contract, owner: str, terms: Terms, error: str, args: tuple[object, ...]
) -> None:
    review = chain.create_review(dataset, owner, Terms())
    chain.expect_revert(review.functions.setPolicy(terms.tuple()), owner, error, *args)
    assert review.functions.policyCount().call() == 1


def test_x_may_be_anything_from_0_to_100(chain: ReviewChain, dataset: Contract, owner: str) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=0))
    chain.send(review.functions.setPolicy(Terms(quorum=100).tuple()), owner)
    assert review.functions.policyAt(1).call()[0][0] == 100


def test_only_the_owner_sets_the_policy(
    chain: ReviewChain, dataset: Contract, owner: str, stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms())
    chain.expect_revert(
        review.functions.setPolicy(Terms(quorum=1).tuple()),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        ADMIN,
    )


def test_a_policy_change_applies_only_to_items_submitted_after_it(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=1, reward=0))
    old_item = _item(chain, dataset, contributor, "before the change")
    receipt = chain.send(
        review.functions.setPolicy(Terms(quorum=2, stake=2 * STAKE, reward=0).tuple()), owner
    )
    (policy_set,) = events(review, "PolicySet", receipt)
    changed_at = chain.block_timestamp(receipt)
    assert (policy_set["args"]["version"], policy_set["args"]["effectiveFrom"]) == (1, changed_at + 1)
    assert review.functions.policyVersionAt(changed_at).call() == 0
    assert review.functions.policyVersionAt(changed_at + 1).call() == 1
    chain.advance(1)
    new_item = _item(chain, dataset, contributor, "after the change")

    assert review.functions.policyFor(old_item).call()[0] == 0
    assert review.functions.policyFor(new_item).call()[0] == 1
    # the old item keeps x = 1 and the old stake; the new one needs two votes at the new stake
    chain.expect_paid_revert(
        review.functions.vote(old_item, True), voters[0], 2 * STAKE, "WrongStake", 2 * STAKE, STAKE
    )
    receipt = chain.pay(review.functions.vote(old_item, True), voters[0], STAKE)
    assert events(review, "ItemOpened", receipt)[0]["args"]["policyVersion"] == 0
    assert dataset.functions.getItem(old_item).call()[3] == APPROVED
    chain.pay(review.functions.vote(new_item, True), voters[0], 2 * STAKE)
    assert dataset.functions.getItem(new_item).call()[3] != APPROVED
    chain.pay(review.functions.vote(new_item, True), voters[1], 2 * STAKE)
    assert dataset.functions.getItem(new_item).call()[3] == APPROVED


def test_an_item_keeps_the_version_recorded_on_first_touch(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=3, reward=0))
    item = _item(chain, dataset, contributor, "touched")
    chain.pay(review.functions.vote(item, True), voters[0], STAKE)
    for quorum in (1, 2):
        chain.send(review.functions.setPolicy(Terms(quorum=quorum, reward=0).tuple()), owner)
    chain.advance(5)
    assert review.functions.itemReview(item).call()[:2] == (True, 0)
    assert review.functions.votesRequired(item).call() == 3
    assert review.functions.policyVersionAt(chain.latest_timestamp()).call() == 2


# ------------------------------------------------------------------------------------- pool


def test_the_owner_withdraws_only_the_unreserved_pool(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str], stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=2, reward=REWARD))
    receipt = chain.pay(review.functions.fundPool(), stranger, 3 * REWARD)
    assert events(review, "PoolFunded", receipt)[0]["args"]["amount"] == 3 * REWARD
    chain.expect_paid_revert(review.functions.fundPool(), owner, 0, "ZeroAmount")
    item = _item(chain, dataset, contributor, "pool")
    chain.pay(review.functions.vote(item, True), voters[0], STAKE)
    assert accounts_of(review) == (STAKE, REWARD, 2 * REWARD, 0)

    chain.expect_revert(
        review.functions.withdrawPool(owner, 2 * REWARD),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        ADMIN,
    )
    chain.expect_revert(
        review.functions.withdrawPool(owner, 2 * REWARD + 1),
        owner,
        "InsufficientPool",
        2 * REWARD + 1,
        2 * REWARD,
    )
    chain.expect_revert(review.functions.withdrawPool(owner, 0), owner, "ZeroAmount")
    gained = _net(chain, owner, lambda: chain.send(review.functions.withdrawPool(owner, 2 * REWARD), owner))
    assert gained == 2 * REWARD
    assert accounts_of(review) == (STAKE, REWARD, 0, 0)
    assert chain.balance(review.address) == STAKE + REWARD


# A contract whose every call reverts with no data (PUSH0 PUSH0 REVERT), so it refuses ETH.
REFUSER_CREATION_CODE = bytes.fromhex("60038060095f395ff3" + "5f5ffd")


def test_a_payment_the_recipient_refuses_reverts_and_leaves_the_books(
    chain: ReviewChain, dataset: Contract, owner: str, stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=2, reward=REWARD))
    chain.pay(review.functions.fundPool(), stranger, 2 * REWARD)
    refuser = chain.deploy_raw(REFUSER_CREATION_CODE)
    # Address.sendValue: a refusal with no reason is FailedCall() (reviews cloned from the
    # implementation before the treasury split said TransferFailed(to, amount) here).
    chain.expect_revert(review.functions.withdrawPool(refuser, REWARD), owner, "FailedCall")
    assert accounts_of(review) == (0, 0, 2 * REWARD, 0)
    assert chain.balance(review.address) == 2 * REWARD
    assert chain.balance(refuser) == 0


# ------------------------------------------------------------------------------------- deposits


def test_a_deposit_opens_review_and_is_refunded_on_approval(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str], stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=1, reward=0, deposit=DEPOSIT))
    item = _item(chain, dataset, contributor, "deposit good")
    fn = review.functions.vote(item, True)
    chain.expect_paid_revert(fn, voters[0], STAKE, "DepositRequired", item, DEPOSIT)
    dep = review.functions.deposit(item)
    chain.expect_paid_revert(dep, stranger, DEPOSIT, "NotContributor", item, stranger)
    chain.expect_paid_revert(dep, contributor, DEPOSIT - 1, "WrongDeposit", DEPOSIT - 1, DEPOSIT)
    receipt = chain.pay(dep, contributor, DEPOSIT)
    assert events(review, "DepositPaid", receipt)[0]["args"]["amount"] == DEPOSIT
    chain.expect_paid_revert(dep, contributor, DEPOSIT, "DepositAlreadyPaid", item)
    chain.expect_revert(review.functions.claimDeposit(item), contributor, "DepositNotRefundable", item)
    chain.pay(fn, voters[0], STAKE)
    assert dataset.functions.getItem(item).call()[3] == APPROVED
    chain.expect_paid_revert(dep, contributor, DEPOSIT, "AlreadyResolved", item)
    chain.expect_revert(review.functions.claimDeposit(item), stranger, "NotContributor", item, stranger)
    refunded = _net(chain, contributor, lambda: chain.send(review.functions.claimDeposit(item), contributor))
    assert refunded == DEPOSIT
    chain.expect_revert(
        review.functions.claimDeposit(item), contributor, "AlreadyClaimed", item, 0, contributor
    )
    assert accounts_of(review)[3] == 0


def test_a_rejected_items_deposit_is_forfeited_to_the_pool(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, voters: list[str]
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=1, reward=0, deposit=DEPOSIT))
    item = _item(chain, dataset, contributor, "deposit bad")
    chain.pay(review.functions.deposit(item), contributor, DEPOSIT)
    receipt = chain.pay(review.functions.vote(item, False), voters[0], STAKE)
    assert events(review, "DepositForfeited", receipt)[0]["args"]["amount"] == DEPOSIT
    assert dataset.functions.getItem(item).call()[3] == REJECTED
    assert accounts_of(review) == (STAKE, 0, DEPOSIT, 0)
    chain.expect_revert(review.functions.claimDeposit(item), contributor, "DepositNotRefundable", item)


def test_deposits_are_refused_when_the_policy_asks_for_none(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str
) -> None:
    review = chain.create_review(dataset, owner, Terms())
    item = _item(chain, dataset, contributor, "no deposit")
    chain.expect_paid_revert(review.functions.deposit(item), contributor, DEPOSIT, "NoDepositRequired", item)


def test_x_zero_with_a_deposit_finalizes_only_after_the_deposit(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, stranger: str
) -> None:
    review = chain.create_review(dataset, owner, Terms(quorum=0, deposit=DEPOSIT))
    item = _item(chain, dataset, contributor, "x0 deposit")
    chain.expect_revert(review.functions.finalize(item), stranger, "DepositRequired", item, DEPOSIT)
    chain.pay(review.functions.deposit(item), contributor, DEPOSIT)
    chain.send(review.functions.finalize(item), stranger)
    assert dataset.functions.getItem(item).call()[3] == APPROVED
    assert (
        _net(chain, contributor, lambda: chain.send(review.functions.claimDeposit(item), contributor))
        == DEPOSIT
    )

"""Review version 3: signed ballots settled in batches, voter bonds, batch claims and deposits.

Ballots are signed here with eth-account's general EIP-712 encoder (not ``sebrus.chain``), so the
contract's digest is checked against an independent implementation.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_keys.datatypes import PrivateKey
from web3.contract import Contract

from tests.support.contracts import APPROVED, REJECTED, content_hash, events
from tests.support.review_contracts import (
    ETHER,
    OUTCOME_APPROVED,
    ReviewChain,
    Terms,
    accounts_of,
)

STAKE = ETHER // 10
REWARD = ETHER // 100
DEPOSIT = ETHER // 20
BOND = ETHER
FAR = 2**40  # a deadline far in the future

# IReview.SkipReason
(
    NONE,
    EXPIRED,
    BAD_SIGNATURE,
    NONCE_USED,
    NOT_OPEN,
    NO_VOTE_NEEDED,
    OWN_CONTRIBUTION,
    NOT_ALLOWED_VOTER,
    DEPOSIT_REQUIRED,
    COMMIT_REVEAL_REQUIRED,
    ALREADY_VOTED,
    INSUFFICIENT_BOND,
    INSUFFICIENT_POOL,
    NO_BALLOT,
    ALREADY_CLAIMED,
    ROUND_OPEN,
    NOT_SETTLED,
    NOTHING_DUE,
    NO_RESOLVER,
) = range(19)

BALLOT_TYPES = {
    "Ballot": [
        {"name": "contentHash", "type": "bytes32"},
        {"name": "approve", "type": "bool"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


@pytest.fixture
def keys(chain: ReviewChain) -> list[PrivateKey]:
    """Keys of the voter accounts 5..9 (eth-tester's own funded accounts)."""
    backend = chain.w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    return list(backend.account_keys[5:10])


def _address(key: PrivateKey) -> str:
    return str(key.public_key.to_checksum_address())


def _review(chain: ReviewChain, dataset: Contract, owner: str, terms: Terms, pool: int = ETHER) -> Contract:
    review = chain.create_review(dataset, owner, terms)
    if pool:
        chain.pay(review.functions.fundPool(), owner, pool)
    return review


def _item(chain: ReviewChain, dataset: Contract, contributor: str, tag: str) -> bytes:
    item = content_hash(tag)
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    return item


def _bond(chain: ReviewChain, review: Contract, keys: list[PrivateKey], amount: int = BOND) -> None:
    for key in keys:
        chain.pay(review.functions.depositBond(), _address(key), amount)


def _ballot(
    chain: ReviewChain,
    review: Contract,
    key: PrivateKey,
    item: bytes,
    approve: bool,
    nonce: int,
    deadline: int = FAR,
    voter: str | None = None,
) -> tuple[Any, ...]:
    """A SignedBallot tuple signed by ``key`` for ``voter`` (the key's own address by default)."""
    voter = voter or _address(key)
    domain = {
        "name": "SeBRUS Review",
        "version": "1",
        "chainId": chain.chain_id,
        "verifyingContract": review.address,
    }
    message = {"contentHash": item, "approve": approve, "voter": voter, "nonce": nonce, "deadline": deadline}
    signed = Account.sign_typed_data(key.to_bytes(), domain, BALLOT_TYPES, message)
    r, s, v = signed.r, signed.s, signed.v
    vs = s | ((v - 27) << 255)
    return (item, approve, voter, nonce, deadline, r.to_bytes(32, "big"), vs.to_bytes(32, "big"))


def _settle(
    chain: ReviewChain, review: Contract, ballots: list[tuple[Any, ...]]
) -> tuple[Any, dict[int, int]]:
    receipt = chain.send(review.functions.settleBallots(ballots), chain.accounts[0], gas=10_000_000)
    skipped = {
        int(e["args"]["index"]): int(e["args"]["reason"]) for e in events(review, "BallotSkipped", receipt)
    }
    return receipt, skipped


def _books_hold(chain: ReviewChain, review: Contract) -> None:
    assert chain.balance(review.address) == sum(accounts_of(review)) + int(
        review.functions.bondsHeld().call()
    )


def _status(dataset: Contract, item: bytes) -> int:
    return int(dataset.functions.getItem(item).call()[3])


def test_a_signed_ballot_decides_a_quorum_one_item_at_once_and_pays_into_the_bond(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=1, stake=STAKE, reward=REWARD))
    assert review.functions.reviewVersion().call() == 3
    items = [_item(chain, dataset, contributor, f"at once {i}") for i in range(3)]
    _bond(chain, review, keys[:1])
    voter = _address(keys[0])
    ballots = [_ballot(chain, review, keys[0], item, i != 1, nonce=i) for i, item in enumerate(items)]
    receipt, skipped = _settle(chain, review, ballots)
    assert skipped == {}
    assert [_status(dataset, i) for i in items] == [APPROVED, REJECTED, APPROVED]
    cast = events(review, "VoteCast", receipt)
    assert [(e["args"]["voter"], e["args"]["approve"]) for e in cast] == [
        (voter, True),
        (voter, False),
        (voter, True),
    ]
    assert review.functions.bondOf(voter).call() == BOND + 3 * REWARD
    assert review.functions.itemReview(items[0]).call()[3] == OUTCOME_APPROVED  # read from the Dataset
    chain.expect_view_revert(review.functions.finalize(items[0]), "NothingToFinalize", items[0])
    _books_hold(chain, review)
    # Replayed: the item is closed for good, so the ballot is skipped; deciding at once marks no nonce.
    _, skipped = _settle(chain, review, ballots[:1])
    assert skipped == {0: NOT_OPEN}
    assert not review.functions.nonceUsed(voter, 0).call()


def test_forged_expired_unbonded_and_refused_ballots_are_skipped_while_the_rest_count(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=1, stake=STAKE, reward=REWARD))
    items = [_item(chain, dataset, contributor, f"mixed {i}") for i in range(6)]
    _bond(chain, review, keys[:2])
    now = chain.latest_timestamp()
    ballots = [
        _ballot(chain, review, keys[1], items[0], True, nonce=1, voter=_address(keys[0])),  # forged
        _ballot(chain, review, keys[0], items[1], True, nonce=2, deadline=now - 1),  # expired
        _ballot(chain, review, keys[2], items[2], True, nonce=3),  # no bond
        _ballot(chain, review, keys[0], content_hash("never anchored"), True, nonce=4),
        _ballot(chain, review, keys[0], items[3], True, nonce=5),  # counts
        _ballot(chain, review, keys[1], items[3], False, nonce=6),  # the item is decided by then
        _ballot(chain, review, keys[1], items[4], False, nonce=7),  # counts
    ]
    tampered = list(_ballot(chain, review, keys[0], items[5], True, nonce=8))
    tampered[1] = False  # the side was changed after signing
    ballots.append(tuple(tampered))
    _, skipped = _settle(chain, review, ballots)
    assert skipped == {
        0: BAD_SIGNATURE,
        1: EXPIRED,
        2: INSUFFICIENT_BOND,
        3: NOT_OPEN,
        5: NOT_OPEN,
        7: BAD_SIGNATURE,
    }
    assert _status(dataset, items[3]) == APPROVED and _status(dataset, items[4]) == REJECTED
    _books_hold(chain, review)


def test_policy_refusals_are_skip_reasons(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    listed = _review(chain, dataset, owner, Terms(quorum=1, open_voting=False, stake=STAKE, reward=0))
    item = _item(chain, dataset, contributor, "allow list")
    _bond(chain, listed, keys[:1])
    _, skipped = _settle(chain, listed, [_ballot(chain, listed, keys[0], item, True, nonce=1)])
    assert skipped == {0: NOT_ALLOWED_VOTER}
    # The contributor may not vote on their own item.
    backend = chain.w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    contributor_key = next(k for k in backend.account_keys if _address(k) == contributor)
    chain.send(listed.functions.grantRole(listed.functions.VOTER_ROLE().call(), contributor), owner)
    _bond(chain, listed, [contributor_key])
    _, skipped = _settle(chain, listed, [_ballot(chain, listed, contributor_key, item, True, nonce=1)])
    assert skipped == {0: OWN_CONTRIBUTION}


def test_commit_reveal_policies_and_unpaid_deposits_are_skipped(
    chain: ReviewChain, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    hidden = chain.create_dataset(owner)
    cr = _review(
        chain, hidden, owner, Terms(quorum=1, commit_reveal=True, commit_window=60, reveal_window=60)
    )
    item = _item(chain, hidden, contributor, "commit reveal")
    _bond(chain, cr, keys[:1])
    _, skipped = _settle(chain, cr, [_ballot(chain, cr, keys[0], item, True, nonce=1)])
    assert skipped == {0: COMMIT_REVEAL_REQUIRED}
    paid = chain.create_dataset(owner)
    review = _review(chain, paid, owner, Terms(quorum=1, deposit=DEPOSIT))
    item = _item(chain, paid, contributor, "deposit first")
    _bond(chain, review, keys[:1])
    _, skipped = _settle(chain, review, [_ballot(chain, review, keys[0], item, True, nonce=1)])
    assert skipped == {0: DEPOSIT_REQUIRED}
    assert not review.functions.nonceUsed(_address(keys[0]), 1).call()  # a skipped ballot spends no nonce


def test_a_larger_quorum_pays_the_deciding_ballot_at_once_and_the_others_through_claim_batch(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2, stake=STAKE, reward=REWARD))
    item = _item(chain, dataset, contributor, "quorum two")
    _bond(chain, review, keys[:3])
    a, b, c = (_address(k) for k in keys[:3])
    ballots = [
        _ballot(chain, review, keys[0], item, True, nonce=1),
        _ballot(chain, review, keys[1], item, False, nonce=1),
        _ballot(chain, review, keys[1], item, False, nonce=2),  # a second ballot from the same voter
        _ballot(chain, review, keys[2], item, True, nonce=1),  # decides
    ]
    _, skipped = _settle(chain, review, ballots)
    assert skipped == {2: ALREADY_VOTED}
    assert _status(dataset, item) == APPROVED
    share = STAKE // 2
    assert review.functions.bondOf(c).call() == BOND + share + REWARD
    assert review.functions.bondOf(a).call() == BOND - STAKE
    assert review.functions.bondOf(b).call() == BOND - STAKE
    assert review.functions.ballotOf(item, 0, c).call()[0] == 0  # the deciding ballot is paid, not kept
    refs = [(item, 0, a), (item, 0, b), (item, 0, a), (item, 0, c), (item, 1, a)]
    receipt = chain.send(review.functions.claimBatch(refs), chain.accounts[4], gas=3_000_000)
    skipped_claims = {
        int(e["args"]["index"]): int(e["args"]["reason"]) for e in events(review, "ClaimSkipped", receipt)
    }
    assert skipped_claims == {1: NOTHING_DUE, 2: ALREADY_CLAIMED, 3: NO_BALLOT, 4: NO_BALLOT}
    assert review.functions.bondOf(a).call() == BOND + share + REWARD
    _books_hold(chain, review)
    assert accounts_of(review)[:2] == (0, 0)  # every stake and reward is paid out or pooled
    before = chain.balance(a)
    receipt = chain.send(review.functions.withdrawBond(BOND + share + REWARD), a)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert chain.balance(a) == before + BOND + share + REWARD - gas_cost
    chain.expect_revert(review.functions.withdrawBond(1), a, "InsufficientBond", 1, 0)
    _books_hold(chain, review)


def test_per_vote_ballots_can_be_credited_by_claim_batch(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2, stake=STAKE, reward=REWARD))
    item = _item(chain, dataset, contributor, "mixed paths")
    a = _address(keys[0])
    chain.pay(review.functions.vote(item, True), a, STAKE)  # today's path, ETH with the vote
    _bond(chain, review, keys[1:2])
    _, skipped = _settle(chain, review, [_ballot(chain, review, keys[1], item, True, nonce=9)])
    assert skipped == {} and _status(dataset, item) == APPROVED
    chain.send(review.functions.claimBatch([(item, 0, a)]), chain.accounts[0])
    assert review.functions.bondOf(a).call() == STAKE + REWARD
    chain.expect_revert(review.functions.claim(item, 0), a, "AlreadyClaimed", item, 0, a)
    _books_hold(chain, review)


def test_deposits_go_in_one_batch_and_come_back_into_the_contributors_bond(
    chain: ReviewChain, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    dataset = chain.create_dataset(owner)
    review = _review(chain, dataset, owner, Terms(quorum=1, stake=STAKE, reward=REWARD, deposit=DEPOSIT))
    items = [_item(chain, dataset, contributor, f"deposit {i}") for i in range(3)]
    chain.expect_paid_revert(
        review.functions.depositBatch(items), contributor, DEPOSIT, "WrongDepositTotal", DEPOSIT, 3 * DEPOSIT
    )
    chain.expect_paid_revert(review.functions.depositBatch([]), contributor, 0, "EmptyBatch")
    chain.expect_paid_revert(
        review.functions.depositBatch(items[:1]), owner, DEPOSIT, "NotContributor", items[0], owner
    )
    chain.pay(review.functions.depositBatch(items), contributor, 3 * DEPOSIT)
    assert accounts_of(review)[3] == 3 * DEPOSIT
    _bond(chain, review, keys[:1])
    ballots = [_ballot(chain, review, keys[0], item, i != 2, nonce=i) for i, item in enumerate(items)]
    _, skipped = _settle(chain, review, ballots)
    assert skipped == {}
    assert review.functions.bondOf(contributor).call() == 2 * DEPOSIT  # the rejected one is forfeit
    assert accounts_of(review)[3] == 0
    chain.expect_revert(review.functions.claimDeposit(items[0]), contributor, "AlreadyClaimed")
    _books_hold(chain, review)


def test_cancelled_nonces_and_malformed_batches(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=1, stake=STAKE, reward=REWARD))
    item = _item(chain, dataset, contributor, "cancelled")
    _bond(chain, review, keys[:1])
    chain.send(review.functions.cancelNonces(1, 1 << 4), _address(keys[0]))  # nonce 256 + 4
    _, skipped = _settle(chain, review, [_ballot(chain, review, keys[0], item, True, nonce=260)])
    assert skipped == {0: NONCE_USED}
    chain.expect_revert(review.functions.settleBallots([]), owner, "EmptyBatch")
    chain.expect_revert(review.functions.claimBatch([]), owner, "EmptyBatch")
    too_many = [_ballot(chain, review, keys[0], item, True, nonce=1)] * 257
    chain.expect_revert(
        review.functions.settleBallots(too_many), owner, "BatchTooLarge", 257, 256, mine=False
    )


def test_without_the_resolver_role_deciding_ballots_are_skipped_and_the_rest_count(
    chain: ReviewChain, dataset: Contract, owner: str, contributor: str, keys: list[PrivateKey]
) -> None:
    review = _review(chain, dataset, owner, Terms(quorum=2, stake=STAKE, reward=REWARD))
    items = [_item(chain, dataset, contributor, f"frozen {i}") for i in range(2)]
    _bond(chain, review, keys[:2])
    chain.send(dataset.functions.revokeRole(dataset.functions.RESOLVER_ROLE().call(), review.address), owner)
    ballots = [
        _ballot(chain, review, keys[0], items[0], True, nonce=1),  # counts: one approval of two
        _ballot(chain, review, keys[1], items[0], True, nonce=1),  # would decide
        _ballot(chain, review, keys[1], items[1], False, nonce=2),  # counts
    ]
    _, skipped = _settle(chain, review, ballots)
    assert skipped == {1: NO_RESOLVER}
    assert review.functions.roundInfo(items[0], 0).call()[2] == 1
    _books_hold(chain, review)

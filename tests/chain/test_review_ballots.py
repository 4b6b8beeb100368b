"""The signed-ballot adapter (``sebrus.chain.review_ballots``) on the embedded chain and on anvil."""

from __future__ import annotations

import hashlib

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from sebrus.chain import InvalidInput
from sebrus.chain import transactor as transactor_module
from sebrus.chain.artifacts import Artifact, load_artifact, load_legacy_artifact
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_ballots import (
    Ballot,
    ClaimRef,
    SkipReason,
    ballot_digest,
    ballot_typed_data,
    bond_of,
    claim_batch,
    deposit_batch,
    deposit_bond,
    nonce_used,
    recover_voter,
    settle_ballots,
    sign_ballot,
    supports_signed_ballots,
    withdraw_bond,
)
from sebrus.chain.review_types import ReviewTerms
from sebrus.chain.types import ItemStatus, Submission
from tests.support.chain import ChainKit

STAKE = 10**15
REWARD = 10**14
DEPOSIT = 10**14


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@pytest.fixture(scope="module")
def reviews(chain: ChainKit) -> ReviewLedger:
    ledger = ReviewLedger(chain.ledger)
    ledger.deploy(chain.handle.operators.deployer)
    return ledger


def _reviewed(
    chain: ChainKit, reviews: ReviewLedger, terms: ReviewTerms, items: int
) -> tuple[str, LocalAccount, list[bytes]]:
    owner, contributor = chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner, name=f"ballots {terms.quorum} {terms.deposit_wei}")
    reviews.create_review(owner, info.address, terms)
    reviews.fund_pool(owner, info.address, 100 * REWARD)
    hashes = [digest(f"{info.address} {i}") for i in range(items)]
    chain.ledger.submit_batch(contributor, info.address, [Submission(h, 0) for h in hashes])
    return info.address, contributor, hashes


def _status(chain: ChainKit, dataset: str, item: bytes) -> ItemStatus:
    found = chain.ledger.get_item(dataset, item)
    assert found is not None
    return found.status


def _deadline(chain: ChainKit) -> int:
    return int(chain.ledger.transactor.block()["timestamp"]) + 3600


def test_the_fast_digest_matches_eth_account_and_the_contract(chain: ChainKit, reviews: ReviewLedger) -> None:
    dataset, _, (item,) = _reviewed(chain, reviews, ReviewTerms(1, STAKE, open_voting=True), 1)
    review = reviews.require_review(dataset)
    voter: LocalAccount = Account.create()
    chain_id = chain.ledger.transactor.chain_id
    for approve, nonce, deadline in ((True, 0, 1), (False, 2**255, 2**64), (True, 7, 10**9)):
        ballot = Ballot(voter.address, item, approve, nonce, deadline)
        signable = encode_typed_data(full_message=ballot_typed_data(chain_id, review, ballot))
        general = keccak(b"\x19" + signable.version + signable.header + signable.body)
        assert ballot_digest(chain_id, review, ballot) == general
        contract = chain.ledger.transactor.contract(review, reviews.review_abi)
        on_chain = contract.functions.ballotDigest(item, approve, voter.address, nonce, deadline).call()
        assert bytes(on_chain) == general
        signature = sign_ballot(bytes(voter.key), chain_id, review, ballot)
        assert len(signature) == 65 and recover_voter(signature, chain_id, review, ballot) == voter.address


def test_settle_reports_each_ballot_and_bonds_pay_out(chain: ChainKit, reviews: ReviewLedger) -> None:
    terms = ReviewTerms(1, STAKE, REWARD, open_voting=True)
    dataset, contributor, items = _reviewed(chain, reviews, terms, 3)
    assert supports_signed_ballots(reviews, dataset)
    review = reviews.require_review(dataset)
    chain_id = chain.ledger.transactor.chain_id
    voter, forger = chain.funded_account(), chain.funded_account()
    deposit_bond(reviews, voter, dataset, 2 * STAKE)
    deadline = _deadline(chain)
    good = [Ballot(voter.address, items[i], i != 1, i, deadline) for i in range(2)]
    forged = Ballot(voter.address, items[2], True, 9, deadline)
    signed = [(b, sign_ballot(bytes(voter.key), chain_id, review, b)) for b in good]
    signed.append((forged, sign_ballot(bytes(forger.key), chain_id, review, forged)))
    settlement = settle_ballots(reviews, chain.handle.operators.deployer, dataset, signed)
    assert settlement.gas_used > 0 and settlement.tx_hash
    assert [(o.accepted, o.reason, o.decided) for o in settlement.outcomes] == [
        (True, SkipReason.NONE, True),
        (True, SkipReason.NONE, True),
        (False, SkipReason.BAD_SIGNATURE, False),
    ]
    assert "signature" in settlement.outcomes[2].sentence
    assert [_status(chain, dataset, h) for h in items[:2]] == [ItemStatus.APPROVED, ItemStatus.REJECTED]
    assert not nonce_used(reviews, dataset, voter.address, 0)  # deciding at once marks no nonce
    assert bond_of(reviews, dataset, voter.address) == 2 * STAKE + 2 * REWARD
    # Replaying a counted ballot is skipped, not reverted: its item is closed.
    again = settle_ballots(reviews, chain.handle.operators.deployer, dataset, signed[:1])
    assert again.outcomes[0].reason is SkipReason.NOT_OPEN
    with pytest.raises(InvalidInput, match="available"):
        withdraw_bond(reviews, voter, dataset, 3 * STAKE)
    withdraw_bond(reviews, voter, dataset, 2 * STAKE + 2 * REWARD)
    assert bond_of(reviews, dataset, voter.address) == 0
    del contributor


def test_claims_and_deposits_in_batches(chain: ChainKit, reviews: ReviewLedger) -> None:
    terms = ReviewTerms(2, STAKE, REWARD, open_voting=True, deposit_wei=DEPOSIT)
    dataset, contributor, items = _reviewed(chain, reviews, terms, 2)
    review = reviews.require_review(dataset)
    chain_id = chain.ledger.transactor.chain_id
    deposit_batch(reviews, contributor, dataset, items)
    voters = [chain.funded_account() for _ in range(2)]
    for v in voters:
        deposit_bond(reviews, v, dataset, 2 * STAKE)
    deadline = _deadline(chain)
    signed = []
    for nonce, item in enumerate(items):
        for v in voters:
            ballot = Ballot(v.address, item, True, nonce, deadline)
            signed.append((ballot, sign_ballot(bytes(v.key), chain_id, review, ballot)))
    settlement = settle_ballots(reviews, chain.handle.operators.deployer, dataset, signed)
    assert [o.decided for o in settlement.outcomes] == [False, True, False, True]
    assert nonce_used(reviews, dataset, voters[0].address, 0)  # a ballot on record marks its nonce
    replay = settle_ballots(reviews, chain.handle.operators.deployer, dataset, signed[:1])
    assert replay.outcomes[0].reason is SkipReason.NONCE_USED
    late = [ClaimRef(o.ballot.content_hash, 0, o.ballot.voter) for o in settlement.outcomes if not o.decided]
    late.append(late[0])  # credited once only
    _, outcomes = claim_batch(reviews, chain.handle.operators.deployer, dataset, late)
    assert [(o.credited_wei, o.reason) for o in outcomes] == [
        (STAKE + REWARD, SkipReason.NONE),
        (STAKE + REWARD, SkipReason.NONE),
        (0, SkipReason.ALREADY_CLAIMED),
    ]
    assert bond_of(reviews, dataset, contributor.address) == 2 * DEPOSIT  # both approved: refunded
    for v in voters:
        assert bond_of(reviews, dataset, v.address) == 2 * STAKE + 2 * REWARD


def test_malformed_input_is_refused_before_sending(chain: ChainKit, reviews: ReviewLedger) -> None:
    dataset, _, (item,) = _reviewed(chain, reviews, ReviewTerms(1, STAKE, open_voting=True), 1)
    relayer = chain.handle.operators.deployer
    ballot = Ballot(relayer.address, item, True, 0, 1)
    with pytest.raises(InvalidInput, match="1 to 256"):
        settle_ballots(reviews, relayer, dataset, [])
    with pytest.raises(InvalidInput, match="65 bytes"):
        settle_ballots(reviews, relayer, dataset, [(ballot, b"\x01" * 64)])
    with pytest.raises(InvalidInput):
        settle_ballots(reviews, relayer, dataset, [(Ballot("0x12", item, True, 0, 1), b"\x01" * 65)])
    with pytest.raises(InvalidInput, match="positive"):
        deposit_bond(reviews, relayer, dataset, 0)


def test_a_lone_first_ballot_fits_its_gas_limit(chain: ChainKit, reviews: ReviewLedger) -> None:
    """A relayer with one ballot to send settles it alone; the first ballot of a round on a fresh
    review is the dearest single settlement (about 237k gas measured), and must not run out of gas."""
    terms = ReviewTerms(3, STAKE, REWARD, open_voting=True)
    dataset, _, (item,) = _reviewed(chain, reviews, terms, 1)
    review = reviews.require_review(dataset)
    voter = chain.funded_account()
    deposit_bond(reviews, voter, dataset, STAKE)
    ballot = Ballot(voter.address, item, True, 0, _deadline(chain))
    signature = sign_ballot(bytes(voter.key), chain.ledger.transactor.chain_id, review, ballot)
    settlement = settle_ballots(reviews, chain.handle.operators.deployer, dataset, [(ballot, signature)])
    assert [(o.accepted, o.decided) for o in settlement.outcomes] == [(True, False)]
    assert bond_of(reviews, dataset, voter.address) == 0


def _version_2(name: str) -> Artifact:
    return load_legacy_artifact(name, 2) if name in ("Review", "ReviewFactory") else load_artifact(name)


def test_a_version_2_review_keeps_the_per_vote_path_only(chain: ChainKit) -> None:
    """Reviews made by the previous factory answer reviewVersion() = 2: no signed ballots there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transactor_module, "load_artifact", _version_2)
        old = ReviewLedger(chain.ledger)
        old.deploy(chain.handle.operators.deployer)
    terms = ReviewTerms(1, STAKE, open_voting=True)
    dataset, _, (item,) = _reviewed(chain, old, terms, 1)
    assert old.review_version(dataset) == 2 and not supports_signed_ballots(old, dataset)
    voter = chain.funded_account()
    with pytest.raises(InvalidInput, match="version 2"):
        deposit_bond(old, voter, dataset, STAKE)
    old.vote(voter, dataset, item, True)
    assert _status(chain, dataset, item) == ItemStatus.APPROVED
    assert old.claim(voter, dataset, item, 0).amount_wei == STAKE

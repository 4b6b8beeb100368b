"""Review calls that a wallet outside the server signs: built unsigned, tried first, sent raw by the
wallet, then waited for and decoded like the ledger's own transactions (reverts included)."""

from __future__ import annotations

import hashlib

import pytest
from eth_account.signers.local import LocalAccount

from sebrus.chain import ContractReverted, InvalidInput, ItemStatus
from sebrus.chain.review import GAS_CLAIM, GAS_COMMIT, GAS_VOTE, ReviewLedger, commitment_hash
from sebrus.chain.review_types import BallotState, ReviewTerms
from sebrus.chain.types import UnsignedCall
from tests.support.chain import ChainKit

STAKE = 10**15


@pytest.fixture(scope="module")
def review(chain: ChainKit) -> ReviewLedger:
    reviews = ReviewLedger(chain.ledger)
    reviews.deploy(chain.handle.operators.deployer)
    return reviews


def _send(chain: ChainKit, wallet: LocalAccount, call: UnsignedCall) -> str:
    """What a browser wallet does with eth_sendTransaction: sign with its own nonce and fees, send raw."""
    ledger = chain.ledger
    tx = {
        "to": call.to,
        "data": "0x" + call.data.hex(),
        "value": call.value_wei,
        "gas": call.gas,
        "chainId": ledger.chain_id,
        "nonce": ledger.pending_nonce(wallet.address),
        **ledger.fee_suggestion(),
    }
    return ledger.send_raw_transaction(wallet.sign_transaction(tx).raw_transaction)


def test_an_external_wallet_votes_and_claims_with_calls_the_ledger_built(
    chain: ChainKit, review: ReviewLedger
) -> None:
    owner, contributor, wallet = (chain.funded_account() for _ in range(3))
    info = chain.dataset(owner, name="external votes")
    review.create_review(owner, info.address, ReviewTerms(quorum=1, stake_wei=STAKE, open_voting=True))
    item = hashlib.sha256(b"external item").digest()
    chain.ledger.submit(contributor, info.address, item, "cat")

    call = review.vote_call(info.address, item, True)
    assert (call.to, call.value_wei, call.gas) == (review.require_review(info.address), STAKE, GAS_VOTE)
    with pytest.raises(InvalidInput, match="plain votes"):
        review.commit_call(wallet.address, info.address, item, True, bytes(range(32)))
    chain.ledger.simulate(wallet.address, call)  # would succeed: nothing raised, nothing sent
    assert review.ballot(info.address, item, 0, wallet.address).state is BallotState.NONE

    sent = chain.ledger.wait_external(_send(chain, wallet, call))
    assert sent.reverted is None and sent.sender == wallet.address and sent.to == call.to
    assert sent.value_wei == STAKE
    cast = [e for e in sent.events if e.name == "VoteCast"]
    assert cast and cast[0].args["voter"] == wallet.address
    stored = chain.ledger.get_item(info.address, item)
    assert stored is not None and stored.status is ItemStatus.APPROVED

    # The same call again is refused by the contract: first as a simulation, then as a mined revert.
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.simulate(wallet.address, call)
    assert refused.value.error == "AlreadyResolved"
    again = chain.ledger.wait_external(_send(chain, wallet, call))
    assert isinstance(again.reverted, ContractReverted) and again.reverted.error == "AlreadyResolved"
    assert again.events == () and again.sender == wallet.address

    claim = review.claim_call(info.address, item)
    assert (claim.value_wei, claim.gas) == (0, GAS_CLAIM)
    before = chain.ledger.balance(wallet.address)
    claimed = chain.ledger.wait_external(_send(chain, wallet, claim))
    assert claimed.reverted is None and [e.name for e in claimed.events] == ["Claimed"]
    assert chain.ledger.balance(wallet.address) > before


def test_commit_calls_bind_the_voter_and_unknown_hashes_are_refused(
    chain: ChainKit, review: ReviewLedger
) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner, name="external commits")
    terms = ReviewTerms(
        quorum=1,
        stake_wei=STAKE,
        open_voting=True,
        commit_reveal=True,
        commit_window_s=600,
        reveal_window_s=600,
    )
    review.create_review(owner, info.address, terms)
    item = hashlib.sha256(b"external commit").digest()
    chain.ledger.submit(owner, info.address, item, "dog")
    salt = bytes(range(32))
    voter = chain.funded_account().address
    call = review.commit_call(voter, info.address, item, False, salt)
    assert call.gas == GAS_COMMIT and commitment_hash(False, salt, voter) in call.data
    with pytest.raises(InvalidInput, match="commit-reveal"):
        review.vote_call(info.address, item, True)
    with pytest.raises(InvalidInput, match="32 bytes"):
        review.reveal_call(info.address, item, True, b"short")

    with pytest.raises(InvalidInput, match="not known"):
        chain.ledger.wait_external("0x" + "ab" * 32, timeout=0.5)
    with pytest.raises(InvalidInput):
        chain.ledger.wait_external("0x1234")
    with pytest.raises(InvalidInput):
        chain.ledger.send_raw_transaction("0x")

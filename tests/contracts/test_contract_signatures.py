"""Dataset.submitFor: EIP-712 contributions relayed by someone else, and every way a signature fails."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import (
    PENDING,
    Chain,
    content_hash,
    contribution_digest,
    erc1271_wallet_creation_code,
    events,
    signed_submission,
    signer,
)

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
HOUR = 3600


@pytest.fixture
def relayer(chain: Chain) -> str:
    return chain.accounts[5]


def _deadline(chain: Chain) -> int:
    return chain.latest_timestamp() + HOUR


def test_a_relayed_submission_names_the_signer_not_the_relayer(
    chain: Chain, dataset: Contract, relayer: str
) -> None:
    alice = signer(1)
    item = content_hash("relayed")
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 1, _deadline(chain))
    receipt = chain.send(dataset.functions.submitFor(signed, b""), relayer)

    assert dataset.functions.getItem(item).call() == (
        alice.address,
        chain.block_timestamp(receipt),
        1,
        PENDING,
    )
    (submitted,) = events(dataset, "ItemSubmitted", receipt)
    assert submitted["args"]["contributor"] == alice.address
    assert submitted["args"]["label"] == 1
    assert dataset.functions.itemCount().call() == 1


def test_the_contributor_may_relay_their_own_signature(chain: Chain, dataset: Contract) -> None:
    alice = signer(2)
    item = content_hash("self relayed")
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 0, _deadline(chain))
    chain.send(dataset.functions.submitFor(signed, b""), chain.accounts[6])
    assert dataset.functions.getItem(item).call()[0] == alice.address


def test_a_signature_by_someone_else_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    alice, mallory = signer(1), signer(3)
    item = content_hash("forged")
    forged = signed_submission(
        mallory, dataset.address, chain.chain_id, item, 0, _deadline(chain), contributor=alice.address
    )
    chain.expect_revert(dataset.functions.submitFor(forged, b""), relayer, "InvalidSignature", alice.address)
    assert dataset.functions.exists(item).call() is False


def test_a_signature_for_another_dataset_is_refused(
    chain: Chain, dataset: Contract, owner: str, relayer: str
) -> None:
    other = chain.create_dataset(owner)
    alice = signer(1)
    item = content_hash("elsewhere")
    signed = signed_submission(alice, other.address, chain.chain_id, item, 0, _deadline(chain))
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "InvalidSignature", alice.address)
    # The same signature is good where it was meant to go.
    chain.send(other.functions.submitFor(signed, b""), relayer)


def test_a_signature_for_the_implementation_is_refused_by_a_clone(
    chain: Chain, dataset: Contract, relayer: str
) -> None:
    alice = signer(1)
    item = content_hash("implementation domain")
    signed = signed_submission(alice, chain.implementation.address, chain.chain_id, item, 0, _deadline(chain))
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "InvalidSignature", alice.address)


def test_a_signature_for_another_chain_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    alice = signer(1)
    item = content_hash("other chain")
    signed = signed_submission(alice, dataset.address, 1, item, 0, _deadline(chain))
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "InvalidSignature", alice.address)


def test_a_replayed_signature_is_a_duplicate(chain: Chain, dataset: Contract, relayer: str) -> None:
    alice = signer(1)
    item = content_hash("replay")
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 0, _deadline(chain))
    chain.send(dataset.functions.submitFor(signed, b""), relayer)
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "DuplicateItem", item)
    chain.expect_revert(dataset.functions.submitFor(signed, b""), chain.accounts[7], "DuplicateItem", item)
    assert dataset.functions.itemCount().call() == 1


def test_an_expired_signature_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    alice = signer(1)
    item = content_hash("late")
    deadline = chain.latest_timestamp() - 1
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 0, deadline)
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "SignatureExpired", deadline)
    assert dataset.functions.exists(item).call() is False


def test_a_signature_expires_once_its_deadline_has_passed(
    chain: Chain, dataset: Contract, relayer: str
) -> None:
    alice = signer(1)
    deadline = chain.latest_timestamp() + 100
    early = signed_submission(alice, dataset.address, chain.chain_id, content_hash("early"), 0, deadline)
    late = signed_submission(alice, dataset.address, chain.chain_id, content_hash("late2"), 0, deadline)
    chain.send(dataset.functions.submitFor(early, b""), relayer)
    chain.advance_time_to(deadline + 1)
    chain.expect_revert(dataset.functions.submitFor(late, b""), relayer, "SignatureExpired", deadline)


@pytest.mark.parametrize("field", ["contentHash", "label", "deadline"])
def test_a_tampered_field_breaks_the_signature(
    chain: Chain, dataset: Contract, relayer: str, field: str
) -> None:
    alice = signer(1)
    item = content_hash(f"tamper {field}")
    deadline = _deadline(chain)
    good = list(signed_submission(alice, dataset.address, chain.chain_id, item, 0, deadline))
    index = {"contentHash": 0, "label": 1, "deadline": 3}[field]
    good[index] = {"contentHash": content_hash("swapped"), "label": 1, "deadline": deadline + 1}[field]
    chain.expect_revert(
        dataset.functions.submitFor(tuple(good), b""), relayer, "InvalidSignature", alice.address
    )
    assert dataset.functions.itemCount().call() == 0


def test_a_swapped_contributor_breaks_the_signature(chain: Chain, dataset: Contract, relayer: str) -> None:
    alice, bob = signer(1), signer(2)
    item = content_hash("swap contributor")
    signed = list(signed_submission(alice, dataset.address, chain.chain_id, item, 0, _deadline(chain)))
    signed[2] = bob.address
    chain.expect_revert(
        dataset.functions.submitFor(tuple(signed), b""), relayer, "InvalidSignature", bob.address
    )


@pytest.mark.parametrize("signature", [b"", b"\x01" * 65, b"\x00" * 64, b"\x00" * 66])
def test_garbage_signatures_are_refused(
    chain: Chain, dataset: Contract, relayer: str, signature: bytes
) -> None:
    alice = signer(1)
    item = content_hash("garbage")
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 0, _deadline(chain))
    bad = (*signed[:4], signature)
    chain.expect_revert(dataset.functions.submitFor(bad, b""), relayer, "InvalidSignature", alice.address)


def test_a_high_s_twin_of_a_valid_signature_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    """ECDSA malleability: (r, n - s, v ^ 1) also recovers the signer; OpenZeppelin must reject it."""
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    alice = signer(1)
    item = content_hash("malleable")
    signed = signed_submission(alice, dataset.address, chain.chain_id, item, 0, _deadline(chain))
    r, s, v = signed[4][:32], int.from_bytes(signed[4][32:64], "big"), signed[4][64]
    twin = r + (n - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    bad = (*signed[:4], twin)
    chain.expect_revert(dataset.functions.submitFor(bad, b""), relayer, "InvalidSignature", alice.address)


def test_a_zero_contributor_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    zero = "0x" + "00" * 20
    item = content_hash("nobody")
    signed = (item, 0, zero, _deadline(chain), b"\x00" * 65)
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "ZeroAddress")


def test_submit_for_checks_the_same_item_rules_as_submit(
    chain: Chain, dataset: Contract, relayer: str
) -> None:
    alice = signer(1)
    deadline = _deadline(chain)
    zero_hash = signed_submission(alice, dataset.address, chain.chain_id, b"\x00" * 32, 0, deadline)
    chain.expect_revert(dataset.functions.submitFor(zero_hash, b""), relayer, "ZeroContentHash")
    bad_label = signed_submission(alice, dataset.address, chain.chain_id, content_hash("x"), 7, deadline)
    chain.expect_revert(dataset.functions.submitFor(bad_label, b""), relayer, "UnknownLabel", 7, 3)
    signed = signed_submission(alice, dataset.address, chain.chain_id, content_hash("y"), 0, deadline)
    chain.expect_revert(dataset.functions.submitFor(signed, b"bytes"), relayer, "PayloadNotAllowed")


def test_submit_for_carries_a_payload_on_a_payload_dataset(
    chain: Chain, payload_dataset: Contract, relayer: str
) -> None:
    alice = signer(1)
    image = b"relayed image bytes"
    item = hashlib.sha256(image).digest()
    signed = signed_submission(alice, payload_dataset.address, chain.chain_id, item, 2, _deadline(chain))
    chain.expect_revert(payload_dataset.functions.submitFor(signed, b""), relayer, "PayloadRequired")
    chain.expect_revert(
        payload_dataset.functions.submitFor(signed, b"other"),
        relayer,
        "PayloadMismatch",
        item,
        hashlib.sha256(b"other").digest(),
    )
    receipt = chain.send(payload_dataset.functions.submitFor(signed, image), relayer)
    (payload,) = events(payload_dataset, "ItemPayload", receipt)
    assert payload["args"]["payload"] == image
    assert payload_dataset.functions.getItem(item).call()[0] == alice.address


def test_contribution_digest_matches_eth_account(chain: Chain, dataset: Contract) -> None:
    alice = signer(1)
    item = content_hash("digest")
    for label, deadline in ((0, 0), (2, 2**256 - 1), (1, 1_700_000_000)):
        ours = contribution_digest(dataset.address, chain.chain_id, item, label, alice.address, deadline)
        theirs = dataset.functions.contributionDigest(item, label, alice.address, deadline).call()
        assert theirs == ours
    # Each clone has its own domain.
    other = chain.implementation.functions.contributionDigest(item, 0, alice.address, 0).call()
    assert other != dataset.functions.contributionDigest(item, 0, alice.address, 0).call()


def test_the_type_hash_and_domain_are_the_documented_ones(chain: Chain, dataset: Contract) -> None:
    expected = keccak(
        text="Contribution(bytes32 contentHash,uint16 label,address contributor,uint256 deadline)"
    )
    assert dataset.functions.CONTRIBUTION_TYPEHASH().call() == expected
    _fields, name, version, chain_id, verifying_contract, _salt, _ext = (
        dataset.functions.eip712Domain().call()
    )
    assert (name, version, chain_id, verifying_contract) == (
        "SeBRUS Dataset",
        "1",
        chain.chain_id,
        dataset.address,
    )


def test_an_erc1271_wallet_can_contribute(chain: Chain, dataset: Contract, relayer: str) -> None:
    wallet = chain.deploy_raw(erc1271_wallet_creation_code(ERC1271_MAGIC))
    item = content_hash("smart wallet")
    signed = (item, 1, wallet, _deadline(chain), b"anything the wallet accepts")
    receipt = chain.send(dataset.functions.submitFor(signed, b""), relayer)
    assert dataset.functions.getItem(item).call()[0] == wallet
    assert events(dataset, "ItemSubmitted", receipt)[0]["args"]["contributor"] == wallet


def test_an_erc1271_wallet_that_refuses_is_refused(chain: Chain, dataset: Contract, relayer: str) -> None:
    wallet = chain.deploy_raw(erc1271_wallet_creation_code(bytes.fromhex("deadbeef")))
    item = content_hash("refusing wallet")
    signed = (item, 1, wallet, _deadline(chain), b"sig")
    chain.expect_revert(dataset.functions.submitFor(signed, b""), relayer, "InvalidSignature", wallet)

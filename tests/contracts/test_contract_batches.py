"""submitBatch and submitBatchFor: many items in one transaction, all or nothing except that an item
anchored already is skipped with ItemSkipped; and the size limits."""

from __future__ import annotations

import hashlib

import pytest
from web3.contract import Contract

from tests.support.contracts import PENDING, Chain, content_hash, events, signed_submission, signer

MAX_BATCH = 256


def _items(tag: str, count: int) -> list[tuple[bytes, int]]:
    return [(content_hash(f"{tag} {i}"), i % 3) for i in range(count)]


def _signed(
    chain: Chain, dataset: Contract, tag: str, count: int
) -> list[tuple[bytes, int, str, int, bytes]]:
    deadline = chain.latest_timestamp() + 3600
    return [
        signed_submission(
            signer(i % 4), dataset.address, chain.chain_id, content_hash(f"{tag} {i}"), i % 3, deadline
        )
        for i in range(count)
    ]


def test_max_batch_is_the_documented_limit(dataset: Contract) -> None:
    assert dataset.functions.MAX_BATCH().call() == MAX_BATCH


def test_a_batch_anchors_every_item_with_events_in_order(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    items = _items("batch", 10)
    receipt = chain.send(dataset.functions.submitBatch(items, []), contributor)

    submitted = events(dataset, "ItemSubmitted", receipt)
    assert [(e["args"]["contentHash"], e["args"]["label"]) for e in submitted] == items
    assert all(e["args"]["contributor"] == contributor for e in submitted)
    assert dataset.functions.itemCount().call() == 10
    stamp = chain.block_timestamp(receipt)
    for item_hash, label in items:
        assert dataset.functions.getItem(item_hash).call() == (contributor, stamp, label, PENDING)


def test_an_empty_batch_is_refused(chain: Chain, dataset: Contract, contributor: str) -> None:
    chain.expect_revert(dataset.functions.submitBatch([], []), contributor, "EmptyBatch")
    chain.expect_revert(dataset.functions.submitBatchFor([], []), contributor, "EmptyBatch")


def test_a_full_batch_succeeds_and_one_more_is_too_large(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    too_many = _items("limit", MAX_BATCH + 1)
    chain.expect_revert(
        dataset.functions.submitBatch(too_many, []), contributor, "BatchTooLarge", MAX_BATCH + 1, MAX_BATCH
    )
    assert dataset.functions.itemCount().call() == 0
    chain.send(dataset.functions.submitBatch(too_many[:MAX_BATCH], []), contributor)
    assert dataset.functions.itemCount().call() == MAX_BATCH


def test_a_full_signed_batch_succeeds_and_one_more_is_too_large(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    signed = _signed(chain, dataset, "signed limit", MAX_BATCH + 1)
    chain.expect_revert(
        dataset.functions.submitBatchFor(signed, []), contributor, "BatchTooLarge", MAX_BATCH + 1, MAX_BATCH
    )
    receipt = chain.send(dataset.functions.submitBatchFor(signed[:MAX_BATCH], []), contributor)
    assert dataset.functions.itemCount().call() == MAX_BATCH
    submitted = events(dataset, "ItemSubmitted", receipt)
    assert [e["args"]["contributor"] for e in submitted] == [s[2] for s in signed[:MAX_BATCH]]


@pytest.mark.parametrize("duplicate_at", [1, 5])
def test_a_duplicate_inside_the_batch_is_skipped_and_the_rest_anchored(
    chain: Chain, dataset: Contract, contributor: str, duplicate_at: int
) -> None:
    items = _items("inner dup", 6)
    items[duplicate_at] = items[0]
    receipt = chain.send(dataset.functions.submitBatch(items, []), contributor)
    (skipped,) = events(dataset, "ItemSkipped", receipt)
    assert skipped["args"]["contentHash"] == items[0][0]
    assert skipped["args"]["contributor"] == skipped["args"]["holder"] == contributor
    assert len(events(dataset, "ItemSubmitted", receipt)) == 5
    assert dataset.functions.itemCount().call() == 5
    assert all(dataset.functions.exists(h).call() for h, _ in items)


def test_a_duplicate_of_stored_state_is_skipped_naming_its_holder(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    existing = content_hash("already here")
    holder = chain.accounts[3]
    chain.send(dataset.functions.submit(existing, 0, b""), holder)
    items = [*_items("against state", 4), (existing, 1)]
    receipt = chain.send(dataset.functions.submitBatch(items, []), contributor)
    (skipped,) = events(dataset, "ItemSkipped", receipt)
    assert skipped["args"]["contributor"] == contributor
    assert skipped["args"]["holder"] == holder
    assert dataset.functions.itemCount().call() == 5
    assert all(dataset.functions.exists(h).call() for h, _ in items[:-1])
    assert dataset.functions.getItem(existing).call()[0] == holder  # the first record stands
    assert dataset.functions.getItem(existing).call()[2] == 0


def test_a_skipped_entry_with_an_unknown_label_still_fails_the_batch(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    existing = content_hash("present, bad label")
    chain.send(dataset.functions.submit(existing, 0, b""), contributor)
    items = [*_items("skip label", 2), (existing, 9)]
    chain.expect_revert(dataset.functions.submitBatch(items, []), contributor, "UnknownLabel", 9, 3)
    assert dataset.functions.itemCount().call() == 1


def test_one_bad_item_reverts_the_whole_batch(chain: Chain, dataset: Contract, contributor: str) -> None:
    items = [*_items("bad label", 3), (content_hash("bad label x"), 9)]
    chain.expect_revert(dataset.functions.submitBatch(items, []), contributor, "UnknownLabel", 9, 3)
    items = [*_items("zero hash", 3), (b"\x00" * 32, 0)]
    chain.expect_revert(dataset.functions.submitBatch(items, []), contributor, "ZeroContentHash")
    assert dataset.functions.itemCount().call() == 0


def test_a_bad_signature_anywhere_reverts_the_whole_signed_batch(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    signed = _signed(chain, dataset, "one forged", 5)
    victim = signed[3][2]
    forged = signed_submission(
        signer(99),
        dataset.address,
        chain.chain_id,
        content_hash("forged"),
        0,
        signed[3][3],
        contributor=victim,
    )
    signed[3] = forged
    chain.expect_revert(dataset.functions.submitBatchFor(signed, []), contributor, "InvalidSignature", victim)
    assert dataset.functions.itemCount().call() == 0
    assert not any(dataset.functions.exists(s[0]).call() for s in signed)


def test_an_expired_or_replayed_signature_reverts_the_whole_signed_batch(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    signed = _signed(chain, dataset, "expiry", 3)
    expired_deadline = chain.latest_timestamp() - 1
    expired = signed_submission(
        signer(0), dataset.address, chain.chain_id, content_hash("expired"), 0, expired_deadline
    )
    batch = [*signed, expired]
    chain.expect_revert(
        dataset.functions.submitBatchFor(batch, []), contributor, "SignatureExpired", expired_deadline
    )
    assert dataset.functions.itemCount().call() == 0

    chain.send(dataset.functions.submitFor(signed[1], b""), contributor)
    chain.expect_revert(
        dataset.functions.submitFor(signed[1], b""), contributor, "DuplicateItem", signed[1][0]
    )
    receipt = chain.send(dataset.functions.submitBatchFor(signed, []), contributor)
    (skipped,) = events(dataset, "ItemSkipped", receipt)
    assert skipped["args"]["holder"] == skipped["args"]["contributor"] == signed[1][2]  # a replay
    assert dataset.functions.itemCount().call() == 3


def test_a_front_run_hash_is_skipped_and_the_rest_of_the_relayed_batch_anchored(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    """Issue 15 item 10: an attacker who saw the pending batch submits one of its hashes first under
    their own label; the batch still anchors the others and says who holds the taken one."""
    signed = _signed(chain, dataset, "front run", 4)
    victim, attacker = signed[2][2], chain.accounts[5]
    chain.send(dataset.functions.submit(signed[2][0], (signed[2][1] + 1) % 3, b""), attacker)
    receipt = chain.send(dataset.functions.submitBatchFor(signed, []), contributor)
    (skipped,) = events(dataset, "ItemSkipped", receipt)
    assert skipped["args"]["contentHash"] == signed[2][0]
    assert skipped["args"]["contributor"] == victim
    assert skipped["args"]["holder"] == attacker
    submitted = [e["args"]["contentHash"] for e in events(dataset, "ItemSubmitted", receipt)]
    assert submitted == [s[0] for i, s in enumerate(signed) if i != 2]
    assert dataset.functions.itemCount().call() == 4


def test_payload_count_must_match_item_count(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    images = [f"image {i}".encode() for i in range(3)]
    items = [(hashlib.sha256(img).digest(), 0) for img in images]
    fn = payload_dataset.functions.submitBatch(items, images[:2])
    chain.expect_revert(fn, contributor, "PayloadCountMismatch", 3, 2)
    fn = payload_dataset.functions.submitBatch(items, [*images, b"extra"])
    chain.expect_revert(fn, contributor, "PayloadCountMismatch", 3, 4)
    deadline = chain.latest_timestamp() + 3600
    signed = [
        signed_submission(signer(1), payload_dataset.address, chain.chain_id, h, 0, deadline)
        for h, _ in items
    ]
    chain.expect_revert(
        payload_dataset.functions.submitBatchFor(signed, images[:1]),
        contributor,
        "PayloadCountMismatch",
        3,
        1,
    )


def test_a_payload_batch_emits_each_image_after_its_record(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    images = [f"batch image {i}".encode() * (i + 1) for i in range(4)]
    items = [(hashlib.sha256(img).digest(), i % 3) for i, img in enumerate(images)]
    receipt = chain.send(payload_dataset.functions.submitBatch(items, images), contributor)
    payloads = events(payload_dataset, "ItemPayload", receipt)
    assert [(p["args"]["contentHash"], p["args"]["payload"]) for p in payloads] == [
        (h, img) for (h, _), img in zip(items, images, strict=True)
    ]
    submitted = events(payload_dataset, "ItemSubmitted", receipt)
    assert all(s["logIndex"] + 1 == p["logIndex"] for s, p in zip(submitted, payloads, strict=True))
    assert payload_dataset.functions.itemCount().call() == 4


def test_a_payload_batch_without_payloads_or_with_a_wrong_one_reverts(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    images = [b"a", b"b"]
    items = [(hashlib.sha256(img).digest(), 0) for img in images]
    chain.expect_revert(payload_dataset.functions.submitBatch(items, []), contributor, "PayloadRequired")
    swapped = [images[1], images[0]]
    chain.expect_revert(
        payload_dataset.functions.submitBatch(items, swapped),
        contributor,
        "PayloadMismatch",
        items[0][0],
        items[1][0],
    )
    assert payload_dataset.functions.itemCount().call() == 0


def test_a_signed_payload_batch_anchors_for_each_signer(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    images = [f"signed image {i}".encode() for i in range(3)]
    deadline = chain.latest_timestamp() + 3600
    signed = [
        signed_submission(
            signer(i), payload_dataset.address, chain.chain_id, hashlib.sha256(img).digest(), 1, deadline
        )
        for i, img in enumerate(images)
    ]
    receipt = chain.send(payload_dataset.functions.submitBatchFor(signed, images), contributor)
    assert [p["args"]["payload"] for p in events(payload_dataset, "ItemPayload", receipt)] == images
    for i, s in enumerate(signed):
        assert payload_dataset.functions.getItem(s[0]).call()[0] == signer(i).address


def test_a_hash_only_dataset_refuses_batch_payloads(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    images = [b"x", b"y"]
    items = [(hashlib.sha256(img).digest(), 0) for img in images]
    chain.expect_revert(dataset.functions.submitBatch(items, images), contributor, "PayloadNotAllowed")

"""Dataset.submit: the record it writes, its event, and every reason it refuses an item."""

from __future__ import annotations

import hashlib

from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import PENDING, Chain, content_hash, events


def test_submit_records_the_caller_label_time_and_pending_status(
    chain: Chain, dataset: Contract, contributor: str
) -> None:
    item = content_hash("first image")
    receipt = chain.send(dataset.functions.submit(item, 2, b""), contributor)

    assert dataset.functions.getItem(item).call() == (contributor, chain.block_timestamp(receipt), 2, PENDING)
    assert dataset.functions.exists(item).call() is True
    assert dataset.functions.itemCount().call() == 1

    (submitted,) = events(dataset, "ItemSubmitted", receipt)
    assert submitted["args"]["contentHash"] == item
    assert submitted["args"]["contributor"] == contributor
    assert submitted["args"]["label"] == 2
    assert events(dataset, "ItemPayload", receipt) == []


def test_item_count_grows_with_each_submission(chain: Chain, dataset: Contract, contributor: str) -> None:
    for i in range(3):
        chain.send(dataset.functions.submit(content_hash(f"count {i}"), i % 3, b""), contributor)
        assert dataset.functions.itemCount().call() == i + 1


def test_a_duplicate_content_hash_is_refused_even_from_someone_else(
    chain: Chain, dataset: Contract, contributor: str, stranger: str
) -> None:
    item = content_hash("dup")
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    chain.expect_revert(dataset.functions.submit(item, 0, b""), contributor, "DuplicateItem", item)
    chain.expect_revert(dataset.functions.submit(item, 1, b""), stranger, "DuplicateItem", item)
    assert dataset.functions.getItem(item).call()[0] == contributor
    assert dataset.functions.getItem(item).call()[2] == 0
    assert dataset.functions.itemCount().call() == 1


def test_the_same_hash_may_live_in_two_datasets(chain: Chain, owner: str, contributor: str) -> None:
    item = content_hash("shared")
    first, second = chain.create_dataset(owner), chain.create_dataset(owner)
    chain.send(first.functions.submit(item, 0, b""), contributor)
    chain.send(second.functions.submit(item, 1, b""), contributor)
    assert second.functions.itemCount().call() == 1


def test_a_zero_content_hash_is_refused(chain: Chain, dataset: Contract, contributor: str) -> None:
    chain.expect_revert(dataset.functions.submit(b"\x00" * 32, 0, b""), contributor, "ZeroContentHash")
    assert dataset.functions.itemCount().call() == 0


def test_a_label_outside_the_set_is_refused(chain: Chain, dataset: Contract, contributor: str) -> None:
    item = content_hash("bad label")
    chain.expect_revert(dataset.functions.submit(item, 3, b""), contributor, "UnknownLabel", 3, 3)
    chain.expect_revert(dataset.functions.submit(item, 65535, b""), contributor, "UnknownLabel", 65535, 3)
    assert dataset.functions.exists(item).call() is False
    # The last valid index is accepted.
    chain.send(dataset.functions.submit(item, 2, b""), contributor)


def test_a_hash_only_dataset_refuses_payloads(chain: Chain, dataset: Contract, contributor: str) -> None:
    image = b"\x89PNG not really"
    item = hashlib.sha256(image).digest()
    chain.expect_revert(dataset.functions.submit(item, 0, image), contributor, "PayloadNotAllowed")
    assert dataset.functions.exists(item).call() is False


def test_a_payload_dataset_emits_the_image_bytes(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    image = bytes(range(256)) * 2
    item = hashlib.sha256(image).digest()
    receipt = chain.send(payload_dataset.functions.submit(item, 1, image), contributor)

    (payload,) = events(payload_dataset, "ItemPayload", receipt)
    assert payload["args"]["contentHash"] == item
    assert payload["args"]["payload"] == image
    (submitted,) = events(payload_dataset, "ItemSubmitted", receipt)
    assert submitted["args"]["contentHash"] == item
    assert submitted["logIndex"] < payload["logIndex"], "ItemSubmitted comes before ItemPayload"
    assert payload_dataset.functions.itemCount().call() == 1


def test_a_payload_dataset_requires_the_payload(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    item = content_hash("no bytes")
    chain.expect_revert(payload_dataset.functions.submit(item, 0, b""), contributor, "PayloadRequired")
    assert payload_dataset.functions.exists(item).call() is False


def test_a_payload_must_hash_to_the_content_hash(
    chain: Chain, payload_dataset: Contract, contributor: str
) -> None:
    image = b"the real image"
    claimed = hashlib.sha256(b"some other image").digest()
    actual = hashlib.sha256(image).digest()
    fn = payload_dataset.functions.submit(claimed, 0, image)
    chain.expect_revert(fn, contributor, "PayloadMismatch", claimed, actual)
    # keccak is not sha256: the contract must not accept a keccak-addressed payload either.
    keccak_hash = keccak(image)
    chain.expect_revert(
        payload_dataset.functions.submit(keccak_hash, 0, image),
        contributor,
        "PayloadMismatch",
        keccak_hash,
        actual,
    )

"""Dataset's read functions, including the ones that revert on unknown keys."""

from __future__ import annotations

from web3.contract import Contract

from sebrus.primitives import DATASET_MAX_BATCH, DATASET_MAX_LABEL_BYTES, DATASET_MAX_LABELS
from tests.support.contracts import Chain, content_hash


def test_get_item_of_an_unknown_hash_reverts(chain: Chain, dataset: Contract) -> None:
    item = content_hash("unknown")
    chain.expect_view_revert(dataset.functions.getItem(item), "UnknownItem", item)
    chain.expect_view_revert(dataset.functions.getItem(b"\x00" * 32), "UnknownItem", b"\x00" * 32)


def test_exists_tells_anchored_from_unknown(chain: Chain, dataset: Contract, contributor: str) -> None:
    item = content_hash("exists")
    assert dataset.functions.exists(item).call() is False
    chain.send(dataset.functions.submit(item, 0, b""), contributor)
    assert dataset.functions.exists(item).call() is True
    assert dataset.functions.exists(content_hash("exists not")).call() is False


def test_labels_are_listed_counted_and_indexed(chain: Chain) -> None:
    labels = ["airplane", "automobile", "bird", "cat", "deer"]
    dataset = chain.create_dataset(labels=labels)
    assert dataset.functions.labels().call() == labels
    assert dataset.functions.labelCount().call() == len(labels)
    assert [dataset.functions.labelAt(i).call() for i in range(len(labels))] == labels


def test_label_at_beyond_the_set_reverts(chain: Chain, dataset: Contract) -> None:
    chain.expect_view_revert(dataset.functions.labelAt(3), "UnknownLabel", 3, 3)
    chain.expect_view_revert(dataset.functions.labelAt(65535), "UnknownLabel", 65535, 3)


def test_labels_keep_unicode_and_order(chain: Chain) -> None:
    labels = ["chat", "çà", "猫", "🐈"]
    dataset = chain.create_dataset(labels=labels)
    assert dataset.functions.labels().call() == labels


def test_limits_are_the_documented_ones(dataset: Contract) -> None:
    assert dataset.functions.MAX_LABELS().call() == 1024
    assert dataset.functions.MAX_LABEL_BYTES().call() == 64
    assert dataset.functions.MAX_BATCH().call() == 256


def test_the_platform_checks_the_contracts_own_limits(dataset: Contract) -> None:
    # Declared once in sebrus.primitives; services refuse what the chain would, before anything is sent.
    assert dataset.functions.MAX_LABELS().call() == DATASET_MAX_LABELS
    assert dataset.functions.MAX_LABEL_BYTES().call() == DATASET_MAX_LABEL_BYTES
    assert dataset.functions.MAX_BATCH().call() == DATASET_MAX_BATCH


def test_a_label_limit_counts_bytes_not_characters(chain: Chain) -> None:
    cats = "猫" * 21  # 63 bytes: fits
    assert chain.create_dataset(labels=[cats]).functions.labelAt(0).call() == cats
    fn = chain.manager.functions.createDataset("n", "d", ["猫" * 22], False, chain.accounts[2])  # 66 bytes
    chain.expect_revert(fn, chain.accounts[1], "InvalidLabelName", 0)

"""ReleaseRegistry: only a dataset's admin publishes, versions strictly increase, releases never change."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import Chain, ErrorDecoder, events, load_artifact

DEFAULT_ADMIN_ROLE = b"\x00" * 32
ROOT_1 = keccak(text="root one")
ROOT_2 = keccak(text="root two")
MANIFEST = keccak(text="manifest")
REMOVED = keccak(text="removed notes")
ZERO = b"\x00" * 32


@pytest.fixture(scope="module")
def registry(chain: Chain) -> Contract:
    artifact = load_artifact("ReleaseRegistry")
    chain.errors = ErrorDecoder(
        [chain.dataset_artifact["abi"], chain.manager_artifact["abi"], artifact["abi"]]
    )
    return chain.deploy(artifact)


def _release(registry: Contract, dataset: Contract, version: int) -> tuple:
    return tuple(registry.functions.release(dataset.address, version).call())


def test_the_owner_publishes_and_everyone_reads_it(
    chain: Chain, registry: Contract, dataset: Contract, owner: str
) -> None:
    assert registry.functions.latestVersion(dataset.address).call() == 0
    receipt = chain.send(registry.functions.publish(dataset.address, 1, ROOT_1, 3, MANIFEST, ZERO), owner)

    (event,) = events(registry, "ReleasePublished", receipt)
    assert event["args"]["dataset"] == dataset.address
    assert event["args"]["version"] == 1
    assert event["args"]["publisher"] == owner
    assert event["args"]["merkleRoot"] == ROOT_1
    assert event["args"]["itemCount"] == 3
    assert event["args"]["manifestHash"] == MANIFEST
    assert event["args"]["removedHash"] == ZERO
    assert registry.functions.latestVersion(dataset.address).call() == 1
    root, manifest, removed, count, published_at, publisher = _release(registry, dataset, 1)
    assert (root, manifest, removed, count, publisher) == (ROOT_1, MANIFEST, ZERO, 3, owner)
    assert published_at == chain.block_timestamp(receipt)


def test_only_an_admin_of_the_dataset_may_publish(
    chain: Chain, registry: Contract, dataset: Contract, owner: str, stranger: str, detector: str
) -> None:
    for account in (stranger, detector):  # the detector holds a role, but not the admin role
        chain.expect_revert(
            registry.functions.publish(dataset.address, 1, ROOT_1, 1, MANIFEST, ZERO),
            account,
            "NotDatasetAdmin",
            dataset.address,
            account,
        )
    assert registry.functions.latestVersion(dataset.address).call() == 0
    # A second admin granted by the owner may publish.
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, stranger), owner)
    chain.send(registry.functions.publish(dataset.address, 1, ROOT_1, 1, MANIFEST, ZERO), stranger)
    assert _release(registry, dataset, 1)[5] == stranger


def test_versions_strictly_increase_and_releases_never_change(
    chain: Chain, registry: Contract, dataset: Contract, owner: str
) -> None:
    chain.send(registry.functions.publish(dataset.address, 2, ROOT_1, 5, MANIFEST, ZERO), owner)
    for version in (2, 1):  # republishing, or going back, is refused with the latest version named
        chain.expect_revert(
            registry.functions.publish(dataset.address, version, ROOT_2, 4, MANIFEST, REMOVED),
            owner,
            "VersionNotIncreasing",
            dataset.address,
            version,
            2,
        )
    assert _release(registry, dataset, 2)[:4] == (ROOT_1, MANIFEST, ZERO, 5)

    chain.send(registry.functions.publish(dataset.address, 7, ROOT_2, 4, MANIFEST, REMOVED), owner)
    assert registry.functions.latestVersion(dataset.address).call() == 7
    assert _release(registry, dataset, 7)[:4] == (ROOT_2, MANIFEST, REMOVED, 4)
    assert _release(registry, dataset, 2)[:4] == (ROOT_1, MANIFEST, ZERO, 5)


def test_versions_are_counted_per_dataset(chain: Chain, registry: Contract, owner: str) -> None:
    first, second = chain.create_dataset(owner), chain.create_dataset(owner)
    chain.send(registry.functions.publish(first.address, 3, ROOT_1, 1, MANIFEST, ZERO), owner)
    chain.send(registry.functions.publish(second.address, 1, ROOT_2, 1, MANIFEST, ZERO), owner)
    assert registry.functions.latestVersion(first.address).call() == 3
    assert registry.functions.latestVersion(second.address).call() == 1


def test_empty_releases_and_unknown_versions_are_refused(
    chain: Chain, registry: Contract, dataset: Contract, owner: str, stranger: str
) -> None:
    chain.expect_revert(
        registry.functions.publish(dataset.address, 1, ZERO, 1, MANIFEST, ZERO), owner, "EmptyRelease"
    )
    chain.expect_revert(
        registry.functions.publish(dataset.address, 1, ROOT_1, 0, MANIFEST, ZERO), owner, "EmptyRelease"
    )
    chain.expect_view_revert(
        registry.functions.release(dataset.address, 1), "UnknownRelease", dataset.address, 1
    )
    chain.expect_revert(
        registry.functions.publish(stranger, 1, ROOT_1, 1, MANIFEST, ZERO), owner, "NotAContract", stranger
    )

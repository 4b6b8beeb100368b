"""Releases through the ledger: deployed with the platform, owner-only, increasing, readable over rpc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import keccak

from sebrus.chain.backends import open_chain
from sebrus.chain.deployments import deployment_path
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError
from sebrus.chain.releases import ReleaseLedger, read_release_at
from sebrus.config import Settings
from tests.support.chain import ChainKit

ROOT = keccak(text="release root")
MANIFEST = keccak(text="release manifest")


def test_the_platform_deploys_the_registry(chain: ChainKit) -> None:
    address = chain.ledger.deployment.release_registry
    assert address is not None
    assert chain.ledger.w3.eth.get_code(address)  # type: ignore[arg-type]


def test_owner_publishes_strangers_and_old_versions_are_refused(chain: ChainKit) -> None:
    owner, stranger = chain.funded_account(), chain.funded_account()
    dataset = chain.dataset(owner)
    releases = ReleaseLedger(chain.ledger)
    assert releases.latest_version(dataset.address) == 0
    assert releases.release(dataset.address, 1) is None

    with pytest.raises(ContractReverted) as refused:
        releases.publish(
            stranger, dataset.address, version=1, merkle_root=ROOT, item_count=2, manifest_hash=MANIFEST
        )
    assert refused.value.error == "NotDatasetAdmin"

    result = releases.publish(
        owner, dataset.address, version=1, merkle_root=ROOT, item_count=2, manifest_hash=MANIFEST
    )
    published = releases.release(dataset.address, 1)
    assert published is not None
    assert (published.merkle_root, published.item_count, published.publisher) == (ROOT, 2, owner.address)
    assert published.removed_hash == bytes(32)
    assert releases.latest_version(dataset.address) == 1
    assert result.gas_used < 200_000

    with pytest.raises(ContractReverted) as again:
        releases.publish(
            owner, dataset.address, version=1, merkle_root=MANIFEST, item_count=1, manifest_hash=ROOT
        )
    assert again.value.error == "VersionNotIncreasing"
    assert releases.release(dataset.address, 1) == published


def test_bad_input_is_refused_before_any_transaction(chain: ChainKit) -> None:
    owner = chain.funded_account()
    dataset = chain.dataset(owner)
    releases = ReleaseLedger(chain.ledger)
    block = chain.ledger.block_number()
    for kwargs, problem in (
        ({"version": 0, "merkle_root": ROOT, "item_count": 1}, "version"),
        ({"version": 1, "merkle_root": ROOT, "item_count": 0}, "items"),
        ({"version": 1, "merkle_root": bytes(32), "item_count": 1}, "zero"),
    ):
        with pytest.raises(InvalidInput, match=problem):
            releases.publish(owner, dataset.address, manifest_hash=MANIFEST, **kwargs)  # type: ignore[arg-type]
    assert chain.ledger.block_number() == block


def test_a_release_is_read_from_a_bare_rpc_url(chain: ChainKit) -> None:
    if chain.backend != "rpc":
        pytest.skip("the embedded chain has no URL")
    owner = chain.funded_account()
    dataset = chain.dataset(owner)
    releases = ReleaseLedger(chain.ledger)
    releases.publish(
        owner, dataset.address, version=3, merkle_root=ROOT, item_count=4, manifest_hash=MANIFEST
    )
    url = chain.handle.url
    found = read_release_at(url, releases.registry_address, dataset.address, 3)
    assert found == releases.release(dataset.address, 3)
    assert read_release_at(url, releases.registry_address, dataset.address, 4) is None
    with pytest.raises(LedgerError, match="not SeBRUS's ReleaseRegistry"):
        read_release_at(url, chain.ledger.deployment.manager, dataset.address, 3)


def test_a_deployment_recorded_before_releases_gets_its_registry(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with open_chain(settings) as handle:
        first = handle.init()
    path = deployment_path(tmp_path, first.chain_id)
    recorded = json.loads(path.read_text())
    del recorded["release_registry"]
    path.write_text(json.dumps(recorded))

    with open_chain(settings) as handle:
        assert handle.ledger.deployment.release_registry is None  # the old file still loads
        upgraded = handle.init()
    assert upgraded.manager == first.manager
    assert upgraded.release_registry not in (None, first.release_registry)
    assert json.loads(path.read_text())["release_registry"] == upgraded.release_registry

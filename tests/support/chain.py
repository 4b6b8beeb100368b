"""Chain helpers for tests: a funded-account kit over an open chain, and settings for the test anvil.

The chain tests (tests/chain) and the suites that run the platform against a real JSON-RPC node
(tests/web, tests/releases) share these, so they live here rather than in a conftest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from sebrus.chain.backends import ChainHandle
from sebrus.chain.ledger import Ledger
from sebrus.chain.operators import write_keystore
from sebrus.chain.types import DatasetInfo
from sebrus.config import Settings
from sebrus.testing.cluster import ANVIL_KEY_0

FUNDING_WEI = 10**20


@dataclass
class ChainKit:
    handle: ChainHandle
    backend: str

    @property
    def ledger(self) -> Ledger:
        return self.handle.ledger

    def funded_account(self) -> LocalAccount:
        account: LocalAccount = Account.create()
        self.ledger.transfer(self.handle.operators.deployer, account.address, FUNDING_WEI)
        return account

    def dataset(
        self, owner: LocalAccount, *, labels: tuple[str, ...] = ("cat", "dog", "bird"), **kw: object
    ) -> DatasetInfo:
        return self.ledger.create_dataset(
            owner,
            name=str(kw.pop("name", "pets")),
            description="test dataset",
            labels=labels,
            detector=self.handle.operators.detector.address,
            **kw,  # type: ignore[arg-type]
        )


def rpc_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for the test anvil (``SEBRUS_TEST_RPC_URL``) with its first development key as the
    deployer. Without a node the test skips locally and fails in CI, where scripts/test.sh starts one."""
    url = os.environ.get("SEBRUS_TEST_RPC_URL")
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("SEBRUS_TEST_RPC_URL is not set: run the suite through scripts/test.sh")
        pytest.skip("no rpc node: run through scripts/test.sh to start anvil")
    password = "test-keystore-password"
    keystores = data_dir / "keystores"
    write_keystore(keystores, "deployer", ANVIL_KEY_0, password)
    return Settings(
        data_dir=data_dir,
        chain_url=url,
        keystore_dir=keystores,
        keystore_password=password,
        **overrides,  # type: ignore[arg-type]
    )

"""Fixtures for the contract behaviour tests: one in-memory chain per module, a fresh clone per test.

Fresh datasets are EIP-1167 clones (a few hundred thousand gas), so every test gets its own state
without paying for a new deployment of the implementation and the manager.
"""

from __future__ import annotations

import pytest
from web3.contract import Contract

from tests.support.contracts import Chain


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


@pytest.fixture
def owner(chain: Chain) -> str:
    return chain.accounts[1]


@pytest.fixture
def detector(chain: Chain) -> str:
    return chain.accounts[2]


@pytest.fixture
def contributor(chain: Chain) -> str:
    return chain.accounts[3]


@pytest.fixture
def stranger(chain: Chain) -> str:
    return chain.accounts[4]


@pytest.fixture
def dataset(chain: Chain, owner: str, detector: str) -> Contract:
    """A hash-only dataset with labels zero/one/two, owned by ``owner``, ``detector`` holding the role."""
    return chain.create_dataset(owner, detector=detector)


@pytest.fixture
def payload_dataset(chain: Chain, owner: str, detector: str) -> Contract:
    """A dataset whose contributions must carry the image bytes."""
    return chain.create_dataset(owner, detector=detector, payload_on_chain=True)

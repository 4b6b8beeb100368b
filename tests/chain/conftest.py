"""The ledger suite runs twice: on the embedded, persisted py-evm chain and on a real JSON-RPC node.

The rpc node is the anvil that ``scripts/test.sh`` starts on 127.0.0.1 and names in
``SEBRUS_TEST_RPC_URL``. Without it the rpc half is skipped locally, and fails in CI. The kit the
fixture yields and the rpc settings live in :mod:`tests.support.chain`, which other suites share.
(test_embedded_persistence.py defines its own ``chain`` fixture: a bare embedded chain.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sebrus.chain.backends import open_chain
from sebrus.config import Settings
from tests.support.chain import ChainKit, rpc_settings


@pytest.fixture(scope="module", params=["embedded", pytest.param("rpc", marks=pytest.mark.rpc)])
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainKit]:
    data_dir: Path = tmp_path_factory.mktemp(f"ledger-{request.param}")
    settings = Settings(data_dir=data_dir) if request.param == "embedded" else rpc_settings(data_dir)
    handle = open_chain(settings)
    handle.init()
    try:
        yield ChainKit(handle, request.param)
    finally:
        handle.close()

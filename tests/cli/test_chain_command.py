"""``sebrus chain status``: on the chain it opens itself, or through a JSON-RPC URL (``--url``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID
from tests.support import cli
from tests.support.live_server import closed_port_url


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    for name in ("SEBRUS_CHAIN_URL", "SEBRUS_KEYSTORE_DIR", "SEBRUS_KEYSTORE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(folder))
    return folder


def test_status_of_the_embedded_chain_names_its_contracts_and_operators(data_dir: Path) -> None:
    assert cli.sebrus("chain", "init").exit_code == 0
    result = cli.sebrus("chain", "status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["backend"] == "embedded" and report["chain_id"] == EMBEDDED_CHAIN_ID
    assert report["deployed"] is True and report["contracts"]["release_registry"]
    assert set(report["operators"]) == {"deployer", "detector", "relayer"}
    table = cli.sebrus("chain", "status")
    assert table.exit_code == 0 and "ReleaseRegistry" in table.output


@pytest.mark.parametrize(
    ("url", "says"),
    [("ftp://example.org", "must be an http(s) JSON-RPC URL"), (None, "cannot reach the chain at")],
)
def test_status_through_a_url_that_is_no_chain_says_so(data_dir: Path, url: str | None, says: str) -> None:
    result = cli.sebrus("chain", "status", "--url", url or closed_port_url())
    assert result.exit_code != 0 and says in result.output

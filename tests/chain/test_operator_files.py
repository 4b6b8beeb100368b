"""Operator keys are secrets (item 15 of the audit): the directories that hold them are 0700 and the
key files 0600, whatever the umask."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from eth_account import Account

from sebrus.chain.operators import load_or_create_dev_operators, write_keystore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_keystores_live_in_a_private_directory(tmp_path: Path) -> None:
    keystores = tmp_path / "keystores"
    write_keystore(keystores, "deployer", Account.create().key.hex(), "keystore password")
    assert _mode(keystores) == 0o700 and _mode(keystores / "deployer.json") == 0o600


@pytest.mark.usefixtures("usual_umask")
def test_development_operator_keys_live_in_a_private_directory(tmp_path: Path) -> None:
    chain_dir = tmp_path / "chain"
    load_or_create_dev_operators(chain_dir)
    assert _mode(chain_dir) == 0o700 and _mode(chain_dir / "operators.json") == 0o600

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from eth_account import Account
from eth_account.messages import encode_defunct
from pydantic import SecretStr

from sebrus.config import Settings
from sebrus.db.base import utcnow
from sebrus.services.accounts import users, wallets
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.server_secret import load_server_secret
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import ConfigurationError, InvalidInput

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
SECRET = "s" * 64


class RecordingFunder:
    def __init__(self) -> None:
        self.funded: list[str] = []

    def fund(self, address: str) -> None:
        self.funded.append(address)


def test_custodial_wallet_is_encrypted_and_unlockable_only_with_the_secret(db):
    user = users.register_user(db, CHEAP, "alice", "a long password")
    funder = RecordingFunder()
    wallet = wallets.create_custodial_wallet(db, user, SECRET, funder)
    assert funder.funded == [wallet.address]
    assert wallet.keystore is not None and "ciphertext" in str(wallet.keystore)
    account = wallets.unlock_custodial_account(wallet, SECRET)
    assert account.address == wallet.address
    with pytest.raises(ValueError):
        wallets.unlock_custodial_account(wallet, "t" * 64)


def test_expired_challenge_is_refused(db):
    user = users.register_user(db, CHEAP, "alice", "a long password")
    account = Account.create()
    challenge = wallets.issue_link_challenge(db, user, account.address)
    signature = account.sign_message(encode_defunct(text=challenge.message)).signature.hex()
    with pytest.raises(InvalidInput, match="expired"):
        wallets.link_external_wallet(
            db, user, challenge.nonce, signature, now=utcnow() + timedelta(minutes=11)
        )
    wallet = wallets.link_external_wallet(db, user, challenge.nonce, signature)
    assert wallet.address == account.address and wallet.keystore is None
    with pytest.raises(InvalidInput, match="not custodial"):
        wallets.unlock_custodial_account(wallet, SECRET)


def test_address_normalisation():
    checksummed = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    assert normalize_address(checksummed.lower()) == checksummed
    assert normalize_address("0x" + checksummed[2:].upper()) == checksummed
    with pytest.raises(InvalidInput, match="checksum"):
        normalize_address(checksummed.replace("F", "f", 1))
    for bad in ("", "0x", "5FbDB2315678afecb367f032d93F642f64180aa3", "0x" + "g" * 40, None, 12):
        with pytest.raises(InvalidInput):
            normalize_address(bad)


def test_development_secret_is_generated_once_with_mode_0600(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = load_server_secret(settings)
    assert len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert load_server_secret(settings) == first


def test_explicit_secret_wins_and_production_needs_one(tmp_path):
    assert load_server_secret(Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 40))) == "k" * 40
    with pytest.raises(ConfigurationError, match="must be set"):
        load_server_secret(Settings(data_dir=tmp_path, env="production"))
    assert not (tmp_path / "secret.key").exists()


def test_corrupt_secret_file_is_refused(tmp_path):
    (tmp_path / "secret.key").write_text("x")
    with pytest.raises(ConfigurationError, match="no usable secret"):
        load_server_secret(Settings(data_dir=tmp_path))

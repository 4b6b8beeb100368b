"""The platform's own accounts: who deploys, who relays contributions, who posts detection flags.

On the embedded chain they are generated once, funded at genesis and kept in the data directory:
its ether exists only on this machine, so a plain key file (mode 0600) is enough. On an rpc chain
they come from encrypted keystores (eth-account v3 JSON) unlocked with ``SEBRUS_KEYSTORE_PASSWORD``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_hex_address, to_checksum_address

from sebrus.chain.errors import UnknownAccount
from sebrus.primitives import atomic_write_text, private_dir

ROLES = ("deployer", "detector", "relayer")


@dataclass(frozen=True)
class Operators:
    deployer: LocalAccount
    detector: LocalAccount
    relayer: LocalAccount

    def addresses(self) -> dict[str, str]:
        return {role: getattr(self, role).address for role in ROLES}


def load_or_create_dev_operators(chain_dir: Path) -> Operators:
    path = chain_dir / "operators.json"
    if path.exists():
        keys = json.loads(path.read_text("utf-8"))
    else:
        private_dir(chain_dir)
        keys = {role: Account.create().key.hex() for role in ROLES}
        atomic_write_text(path, json.dumps(keys, indent=2), private=True)
    return Operators(**{role: Account.from_key(keys[role]) for role in ROLES})


def operator_addresses(chain_dir: Path, keystore_dir: Path, *, embedded: bool) -> dict[str, str]:
    """The operators' addresses as far as they are known here without unlocking (or creating) a key.

    For reading a chain through a URL (``sebrus chain status --url``): the embedded chain's key file,
    or the ``address`` field every v3 keystore carries in the clear. Roles with no file are left out.
    """
    if embedded:
        path = chain_dir / "operators.json"
        if not path.exists():
            return {}
        keys = json.loads(path.read_text("utf-8"))
        return {role: str(Account.from_key(keys[role]).address) for role in ROLES if role in keys}
    found: dict[str, str] = {}
    for role in ROLES:
        path = keystore_dir / f"{role}.json"
        if path.exists():
            address = json.loads(path.read_text("utf-8")).get("address")
            if isinstance(address, str) and is_hex_address("0x" + address.removeprefix("0x")):
                found[role] = str(to_checksum_address("0x" + address.removeprefix("0x")))
    return found


def load_keystore_operators(keystore_dir: Path, password: str | None) -> Operators:
    """``deployer.json`` is required; a missing ``detector.json`` or ``relayer.json`` falls back to it."""
    if password is None:
        raise UnknownAccount("set SEBRUS_KEYSTORE_PASSWORD to unlock the keystores in " + str(keystore_dir))
    accounts: dict[str, LocalAccount] = {}
    for role in ROLES:
        path = keystore_dir / f"{role}.json"
        if path.exists():
            try:
                key = Account.decrypt(json.loads(path.read_text("utf-8")), password)
            except ValueError as exc:
                raise UnknownAccount(f"cannot unlock {path}: {exc}") from exc
            accounts[role] = Account.from_key(key)
    if "deployer" not in accounts:
        raise UnknownAccount(
            f"no deployer keystore at {keystore_dir / 'deployer.json'}; see `sebrus chain import-key`"
        )
    return Operators(**{role: accounts.get(role, accounts["deployer"]) for role in ROLES})


def write_keystore(keystore_dir: Path, role: str, private_key: str, password: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown operator role {role!r}; expected one of {', '.join(ROLES)}")
    account = Account.from_key(private_key)
    private_dir(keystore_dir)
    atomic_write_text(
        keystore_dir / f"{role}.json", json.dumps(Account.encrypt(account.key, password)), private=True
    )
    return str(account.address)

"""A client's wallet from a key file: a 0x-hex private key on one line, or an encrypted keystore JSON."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount


class KeyFileError(ValueError):
    """The key file cannot give a wallet; the message says why."""


def load_account(path: Path, password: str | None = None) -> LocalAccount:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from exc
    if text.startswith("{"):
        if password is None:
            raise KeyFileError(f"{path} is an encrypted keystore: give its password")
        try:
            key = Account.decrypt(json.loads(text), password)
        except (ValueError, KeyError) as exc:
            raise KeyFileError(f"cannot decrypt keystore {path}: {exc}") from exc
        return Account.from_key(key)
    try:
        return Account.from_key(text)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} does not hold a 0x-hex private key or a keystore JSON") from exc

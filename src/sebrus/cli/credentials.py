"""Saved API tokens, one per server URL, in ``~/.config/sebrus/credentials.json`` (mode 0600).

Keyed by URL so that a token saved for one server is never sent to another.
``$XDG_CONFIG_HOME`` moves the folder, as for other command-line tools.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sebrus.primitives import atomic_write_text


class CredentialsError(Exception):
    """The credentials file exists but cannot be used; the message names the file."""


@dataclass(frozen=True)
class SavedLogin:
    username: str
    token: str


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sebrus" / "credentials.json"


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def _read_all(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"Cannot read saved credentials in {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("servers", {}), dict):
        raise CredentialsError(f"Saved credentials in {path} are not in the expected shape; delete the file.")
    return data


def load_login(url: str, path: Path | None = None) -> SavedLogin | None:
    entry = _read_all(path or credentials_path()).get("servers", {}).get(normalise_url(url))
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    return SavedLogin(username=str(entry.get("username", "")), token=entry["token"])


def save_login(url: str, login: SavedLogin, path: Path | None = None) -> Path:
    """Write the token readable by this user only; the folder is created private too."""
    path = path or credentials_path()
    data = _read_all(path)
    servers = data.setdefault("servers", {})
    servers[normalise_url(url)] = {"username": login.username, "token": login.token}
    _write_private(path, data)
    return path


def forget_login(url: str, path: Path | None = None) -> bool:
    path = path or credentials_path()
    data = _read_all(path)
    removed = data.get("servers", {}).pop(normalise_url(url), None) is not None
    if removed:
        _write_private(path, data)
    return removed


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n", private=True)

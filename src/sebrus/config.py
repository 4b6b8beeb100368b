"""Settings from ``SEBRUS_*`` environment variables.

One object, read once per process, so that every layer agrees on where the data
directory is and which backends are in use. With nothing set, everything runs
embedded under ``./sebrus-data``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEBRUS_", extra="ignore")

    data_dir: Path = Field(default=Path("sebrus-data"), description="Where embedded state lives.")
    chain_url: str | None = Field(
        default=None,
        description="JSON-RPC endpoint. Unset means the embedded, persisted py-evm chain.",
    )
    keystore_dir: Path | None = Field(
        default=None,
        description="Encrypted keystores for rpc chains (defaults to <data_dir>/keystores).",
    )
    keystore_password: str | None = Field(
        default=None, description="Password that unlocks the rpc keystores."
    )
    confirmations: int = Field(default=0, ge=0, description="Blocks to wait before indexing an rpc event.")

    @property
    def resolved_keystore_dir(self) -> Path:
        return self.keystore_dir if self.keystore_dir is not None else self.data_dir / "keystores"

    @property
    def chain_dir(self) -> Path:
        return self.data_dir / "chain"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

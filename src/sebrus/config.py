"""Settings from ``SEBRUS_*`` environment variables.

One object, read once per process, so that every layer agrees on where the data
directory is and which backends are in use. With nothing set, everything runs
embedded under ``./sebrus-data``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    upload_rate_per_minute: int = Field(
        default=600, ge=0, description="Uploads one contributor may make per minute (0 = no limit)."
    )
    rpc_rate_per_minute: int = Field(
        default=1200,
        ge=0,
        description="JSON-RPC calls (each call of a batch counts) one client address may make per minute "
        "on the embedded chain's /rpc endpoint (0 = no limit).",
    )
    upload_wait_seconds: float = Field(
        default=30.0, ge=0, description="How long an upload waits to be anchored before answering 202."
    )
    bulk_upload_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        le=256 * 1024 * 1024,
        description="The most one bulk upload may carry (all its files together), counted as it streams.",
    )
    decode_concurrency: int = Field(
        default=0,
        ge=0,
        le=1024,
        description="Images this process decodes at once (uploads, seed images); 0 = one per CPU core. "
        "Further uploads wait up to 10 s for a slot, then get 429 with Retry-After.",
    )
    audit_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        le=24 * 3600,
        description="Anonymous audits get the latest run of a dataset if it is younger than this (one "
        "audit re-hashes every blob); signed-in callers always get a new, logged run.",
    )
    dataset_create_max_gas: int = Field(
        default=10_000_000,
        ge=1_000_000,
        description="Most gas one dataset's creation may use (never more than 90% of a block). Labels "
        "drive it: about 27,000 gas per label of up to 31 bytes, 76,000 per 64-byte label, so the "
        "default fits about 360 short labels; a larger request is refused with 400 saying how many fit.",
    )
    dataset_creations_per_hour: int = Field(
        default=10, ge=0, description="Datasets one user may create per hour (0 = no limit); 429 past it."
    )
    confirmations: int = Field(default=0, ge=0, description="Blocks to wait before indexing an rpc event.")
    blob_url: str | None = Field(
        default=None,
        description="Where blobs live: s3://bucket/prefix for an S3-compatible store (the s3 extra; "
        "credentials and region from the standard AWS_* variables), file:///path for a directory. "
        "Unset: <data_dir>/blobs.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="The S3 API's URL for MinIO, Ceph, R2 and the like (https://minio.example:9000). "
        "Unset: AWS itself.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the scan queue (redis://host:6379/0). Unset: scans run in the server process.",
    )
    scan_queue: str = Field(
        default="sebrus-scans", min_length=1, max_length=100, description="The RQ queue scans go to."
    )
    review_finalizer: bool = Field(
        default=True,
        description="Finalize review items nobody has to vote on (x = 0) and commit-reveal rounds whose "
        "reveal window closed, from a background loop. Off: someone must call finalize.",
    )
    review_finalizer_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="Seconds between the review finalizer's passes when idle."
    )
    review_no_vote_grace_seconds: int = Field(
        default=600,
        ge=0,
        le=30 * 24 * 3600,
        description="How long after anchoring an item under x = 0 waits before the finalizer approves it, "
        "so that a scan or a revocation can still quarantine it.",
    )
    monitor_drop_threshold: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        description="Alert when a release's held-out accuracy falls by more than this since the last one.",
    )
    monitor_epochs: int = Field(
        default=6, ge=1, le=100, description="Epochs of the reference model trained on every release."
    )

    env: Literal["development", "production"] = Field(
        default="development",
        description="production refuses to start without an explicit secret key, forces Secure cookies and "
        "sends HSTS (Strict-Transport-Security).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+psycopg://...). Unset: SQLite at <data_dir>/sebrus.db.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Server secret that encrypts custodial keystores. Generated into <data_dir>/secret.key "
        "in development when unset; required in production.",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark the session cookie Secure. Unset means Secure everywhere except development.",
    )
    session_ttl_hours: int = Field(default=24 * 14, ge=1, description="Lifetime of a browser session.")
    api_token_ttl_days: int = Field(default=365, ge=1, description="Default lifetime of an API token.")
    password_time_cost: int = Field(default=3, ge=1, description="argon2id iterations.")
    password_memory_cost_kib: int = Field(default=65536, ge=8, description="argon2id memory in KiB.")
    password_parallelism: int = Field(default=4, ge=1, description="argon2id lanes.")
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords for one account from one client address before that address backs off "
        "from that account (the owner's other clients are not locked out).",
    )
    login_client_max_failures: int = Field(
        default=20,
        ge=1,
        description="Wrong passwords from one client address, over all accounts, before it backs off.",
    )
    signup_per_hour: int = Field(
        default=10,
        ge=0,
        description="Accounts one client address may create per hour (each gets a funded wallet); "
        "0 = no limit.",
    )
    login_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First lockout after too many failures; doubles with each further one."
    )

    @property
    def resolved_keystore_dir(self) -> Path:
        return self.keystore_dir if self.keystore_dir is not None else self.data_dir / "keystores"

    @property
    def chain_dir(self) -> Path:
        return self.data_dir / "chain"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sebrus.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def session_cookie_secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env != "development"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""The server-side secret that encrypts custodial keystores.

Production must be given one explicitly; development creates a random one on
first use in ``<data_dir>/secret.key`` (mode 0600) so that nothing needs setting up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sebrus.config import Settings
from sebrus.primitives import private_dir
from sebrus.services.errors import ConfigurationError

MIN_SECRET_LENGTH = 32


def load_server_secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        secret = settings.secret_key.get_secret_value()
        if settings.env == "production" and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"SEBRUS_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters.")
        return secret
    if settings.env == "production":
        raise ConfigurationError("SEBRUS_SECRET_KEY must be set when SEBRUS_ENV=production.")
    return _read_or_create(settings.secret_key_file)


def _read_or_create(path: Path) -> str:
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(f"{path} holds no usable secret; delete it to make a new one.") from None
        return secret
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return secret

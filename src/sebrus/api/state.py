"""Everything a request handler needs that lives as long as the app: one object on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sebrus.blobs import BlobStore
from sebrus.config import Settings
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.hooks import PlatformHooks


@dataclass
class PlatformState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    passwords: Passwords
    hooks: PlatformHooks
    server_secret: str
    blobs: BlobStore
    throttle: ThrottlePolicy

"""Anonymous sign-up is limited per client address (item 12 of the audit): each account gets a funded
wallet, so an unlimited sign-up is a tap anyone can drain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.engine import make_session_factory
from sebrus.db.models import User
from sebrus.services.accounts import signup_limit
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.signup import sign_up
from sebrus.services.accounts.signup_limit import SignupPolicy
from sebrus.services.accounts.wallets import WalletFunder
from sebrus.services.errors import Conflict, InvalidInput, RateLimited

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "a long enough password"
ADDRESS = "203.0.113.5"


class NoWallets:
    custodial_wallet_on_register = False
    wallet_funder: WalletFunder | None = None


def _sign_up(db: Session, name: str, client: str = ADDRESS, per_hour: int = 2) -> User:
    limit = SignupPolicy(per_hour)
    return sign_up(db, CHEAP, NoWallets(), "server secret " * 3, name, PASSWORD, client=client, limit=limit)


def test_an_address_gets_its_share_then_a_429_naming_the_wait(db: Session) -> None:
    _sign_up(db, "first")
    _sign_up(db, "second")
    with pytest.raises(RateLimited, match=r"at most 2 an hour; try again in \d+ s\.") as refused:
        _sign_up(db, "third")
    assert 3590 <= refused.value.retry_after_seconds <= 3600
    assert db.scalar(select(func.count()).select_from(User)) == 2  # nothing half-made
    assert _sign_up(db, "elsewhere", client="198.51.100.7").username == "elsewhere"


def test_refused_sign_ups_use_up_no_slot(db: Session) -> None:
    _sign_up(db, "first")
    with pytest.raises(Conflict):
        _sign_up(db, "FIRST")
    with pytest.raises(InvalidInput):
        _sign_up(db, "no good!")
    assert _sign_up(db, "second").username == "second"


def test_the_count_starts_over_after_an_hour(db: Session) -> None:
    policy = SignupPolicy(per_hour=1)
    start = utcnow()
    signup_limit.reserve(db, ADDRESS, policy, start)
    with pytest.raises(RateLimited) as refused:
        signup_limit.reserve(db, ADDRESS, policy, start + timedelta(minutes=59, seconds=30))
    assert refused.value.retry_after_seconds == 30
    assert signup_limit.reserve(db, ADDRESS, policy, start + timedelta(hours=1)) is not None


def test_zero_switches_the_limit_off(db: Session) -> None:
    for n in range(5):
        _sign_up(db, f"user{n}", per_hour=0)
    assert db.scalar(select(func.count()).select_from(User)) == 5


def test_concurrent_sign_ups_from_one_address_get_exactly_its_share(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    start = threading.Barrier(12)

    def attempt(n: int) -> str:
        with sessions() as db:
            start.wait()
            try:
                _sign_up(db, f"racer{n}", per_hour=3)
            except RateLimited:
                return "refused"
            return "created"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("created") == 3
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 3

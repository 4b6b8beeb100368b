"""The login throttle: counted before argon2 (item 6 of the audit), keyed so that a stranger's guesses
lock the stranger out and not the owner (item 7)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sebrus.db.engine import make_session_factory
from sebrus.services.accounts import users
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import PasswordCheck, Passwords
from sebrus.services.errors import NotAuthenticated, RateLimited

PASSWORD = "a long enough password"
OWNER = "198.51.100.7"
STRANGER = "203.0.113.5"


class CountingPasswords(Passwords):
    """Cheap argon2 that counts every check (decoy checks for unknown names too) and takes a while
    doing it, so that concurrent attempts overlap the way real argon2 makes them overlap."""

    def __init__(self, seconds_per_check: float = 0.0) -> None:
        super().__init__(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        self.seconds_per_check = seconds_per_check
        self.checks = 0
        self._lock = threading.Lock()

    def check(self, stored_hash: str, password: str) -> PasswordCheck:
        with self._lock:
            self.checks += 1
        time.sleep(self.seconds_per_check)
        return super().check(stored_hash, password)


def _outcome(attempt: object) -> str:
    try:
        assert callable(attempt)
        attempt()
    except NotAuthenticated:
        return "wrong"
    except RateLimited:
        return "throttled"
    return "ok"


def test_thirty_concurrent_guesses_reach_argon2_at_most_max_failures_times(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    passwords = CountingPasswords(seconds_per_check=0.05)
    with sessions() as db:
        users.register_user(db, passwords, "alice", PASSWORD)
    passwords.checks = 0
    policy = ThrottlePolicy(max_failures=5, backoff_seconds=60)
    start = threading.Barrier(30)

    def guess(n: int) -> str:
        with sessions() as db:
            start.wait()
            return _outcome(
                lambda: users.authenticate(
                    db, passwords, "alice", f"guess number {n}", client=STRANGER, policy=policy
                )
            )

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(guess, range(30)))

    assert passwords.checks == 5
    assert outcomes.count("wrong") == 5 and outcomes.count("throttled") == 25


def test_a_strangers_guesses_do_not_lock_out_the_owners_client(db: Session) -> None:
    passwords = CountingPasswords()
    users.register_user(db, passwords, "alice", PASSWORD)
    policy = ThrottlePolicy(max_failures=5, backoff_seconds=3600)
    outcomes = [
        _outcome(lambda: users.authenticate(db, passwords, "alice", "guess", client=STRANGER, policy=policy))
        for _ in range(10)
    ]
    assert outcomes == ["wrong"] * 5 + ["throttled"] * 5
    owner = users.authenticate(db, passwords, "alice", PASSWORD, client=OWNER, policy=policy)
    assert owner.username == "alice"
    # and the stranger stays locked out of alice, even with her password
    with pytest.raises(RateLimited):
        users.authenticate(db, passwords, "alice", PASSWORD, client=STRANGER, policy=policy)


def test_one_address_guessing_across_accounts_backs_off(db: Session) -> None:
    passwords = CountingPasswords()
    users.register_user(db, passwords, "alice", PASSWORD)
    policy = ThrottlePolicy(max_failures=5, client_max_failures=3, backoff_seconds=60)
    for name in ("bob", "carol", "dave"):  # one guess each: no pair reaches its limit
        with pytest.raises(NotAuthenticated):
            users.authenticate(db, passwords, name, "guess", client=STRANGER, policy=policy)
    with pytest.raises(RateLimited, match="Too many failed logins"):
        users.authenticate(db, passwords, "alice", PASSWORD, client=STRANGER, policy=policy)
    assert passwords.checks == 3
    # another address is not affected
    assert users.authenticate(db, passwords, "alice", PASSWORD, client=OWNER, policy=policy).id


def test_logging_into_an_own_account_does_not_clear_an_addresss_misses(db: Session) -> None:
    passwords = CountingPasswords()
    users.register_user(db, passwords, "mallory", PASSWORD)
    policy = ThrottlePolicy(max_failures=5, client_max_failures=3, backoff_seconds=60)
    for name in ("bob", "carol"):
        with pytest.raises(NotAuthenticated):
            users.authenticate(db, passwords, name, "guess", client=STRANGER, policy=policy)
    users.authenticate(db, passwords, "mallory", PASSWORD, client=STRANGER, policy=policy)
    with pytest.raises(NotAuthenticated):  # the third miss from this address...
        users.authenticate(db, passwords, "dave", "guess", client=STRANGER, policy=policy)
    with pytest.raises(RateLimited):  # ...locks it, the success in between notwithstanding
        users.authenticate(db, passwords, "mallory", PASSWORD, client=STRANGER, policy=policy)

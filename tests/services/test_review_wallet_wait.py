"""Confirming a browser wallet's transaction waits for it to be mined, a wait the user controls (a
transaction can sit unmined for minutes): it must hold no pooled database connection, and only a few
such waits may run at once, so that they cannot take every worker thread."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.db.models import Dataset, User
from sebrus.services.accounts import users
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.errors import InvalidInput, RateLimited
from sebrus.services.review import wallet as review_wallet

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
REVIEW = "0x" + "22" * 20


class WatchingLedger:
    """Records whether the session held a transaction (and so a connection) while the wait ran."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.in_transaction_while_waiting: bool | None = None

    def wait_external(self, tx_hash: str, timeout: float | None = None) -> Any:
        self.in_transaction_while_waiting = self.db.in_transaction()
        raise LedgerInvalidInput(f"transaction {tx_hash} is not known to this chain's node")


def test_the_wait_for_a_wallet_transaction_holds_no_database_connection(db: Session) -> None:
    user = users.register_user(db, CHEAP, "waiter", "a long password")
    dataset = Dataset(chain_id=1, address="0x" + "11" * 20, name="waiting", owner_id=user.id)
    db.add(dataset)
    db.commit()
    ledger = WatchingLedger(db)
    chain: Any = SimpleNamespace(
        address_of=lambda d: d.address,
        reviews=SimpleNamespace(require_review=lambda address: REVIEW),
        link=SimpleNamespace(ledger=ledger),
    )
    # As in a request: resolving the caller's session has begun a read transaction.
    assert db.scalar(select(User).where(User.id == user.id)) is user
    assert db.in_transaction()

    with pytest.raises(InvalidInput, match="not known"):
        review_wallet.confirm(db, chain, dataset, user, "0x" + "ab" * 32)
    assert ledger.in_transaction_while_waiting is False


def test_only_a_few_confirmations_wait_at_once_and_the_rest_are_told_to_retry(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each wait occupies one of the server's worker threads for up to the receipt timeout; without a
    cap, a few dozen requests naming unmined or unknown hashes would leave no thread for any page."""
    user = users.register_user(db, CHEAP, "crowd", "a long password")
    dataset = Dataset(chain_id=1, address="0x" + "33" * 20, name="crowded", owner_id=user.id)
    db.add(dataset)
    db.commit()
    ledger = WatchingLedger(db)
    chain: Any = SimpleNamespace(
        address_of=lambda d: d.address,
        reviews=SimpleNamespace(require_review=lambda address: REVIEW),
        link=SimpleNamespace(ledger=ledger),
    )
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(review_wallet, "_CONFIRM_WAITS", slots)

    assert slots.acquire(blocking=False)  # another request is waiting for its transaction
    with pytest.raises(RateLimited, match="try again") as refused:
        review_wallet.confirm(db, chain, dataset, user, "0x" + "ab" * 32)
    assert refused.value.retry_after_seconds > 0
    assert ledger.in_transaction_while_waiting is None  # refused before waiting
    slots.release()

    with pytest.raises(InvalidInput, match="not known"):
        review_wallet.confirm(db, chain, dataset, user, "0x" + "ab" * 32)
    assert ledger.in_transaction_while_waiting is False
    assert slots.acquire(blocking=False)  # the finished wait gave its slot back

"""Confirming a browser wallet's transaction waits for it to be mined: that wait, which the user controls
(a transaction can sit unmined for minutes), must not hold one of the pool's database connections."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.db.models import Dataset, User
from sebrus.services import accounts, review_wallet
from sebrus.services.errors import InvalidInput
from sebrus.services.passwords import Passwords

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
    user = accounts.register_user(db, CHEAP, "waiter", "a long password")
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

"""Deleting a dataset never loses an acknowledged upload, even when the two race (issue 15, item 3).

Each test runs on SQLite and PostgreSQL: the lock that makes the check and the delete atomic is
different on each (a first write on SQLite, ``FOR UPDATE`` on PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sebrus.blobs import LocalBlobStore
from sebrus.db import make_session_factory
from sebrus.db.models import Dataset, OutboxEntry, OutboxState, User, Wallet, WalletKind
from sebrus.services import datasets
from sebrus.services.accounts import users
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.errors import Conflict, NotFound
from sebrus.services.ingest.contributions import accept_upload
from tests.support.images import png

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
CONTRIBUTOR = "0x" + "c1" * 20


class Anchor:
    def __init__(self) -> None:
        self.count = 0

    def anchor(self, spec: datasets.DatasetSpec, owner: User) -> datasets.AnchoredDataset:
        self.count += 1
        return datasets.AnchoredDataset(address="0x" + f"{self.count:040x}")


@dataclass
class World:
    sessions: Any
    owner_id: int
    dataset_id: int

    def owner_and_dataset(self, db: Session) -> tuple[User, Dataset]:
        owner, dataset = db.get(User, self.owner_id), db.get(Dataset, self.dataset_id)
        assert owner is not None and dataset is not None
        return owner, dataset


@pytest.fixture
def world(engine: Engine) -> World:
    sessions = make_session_factory(engine)
    with sessions() as db:
        owner = users.register_user(db, CHEAP, "owner", "a long password")
        db.add(Wallet(user_id=owner.id, address=CONTRIBUTOR, kind=WalletKind.CUSTODIAL))
        dataset = datasets.register_dataset(db, owner, datasets.DatasetSpec(name="d", labels=["x"]), Anchor())
        db.commit()
        return World(sessions, owner.id, dataset.id)


def outbox_entry(dataset_id: int, seed: int = 1) -> OutboxEntry:
    return OutboxEntry(
        dataset_id=dataset_id,
        content_hash=f"{seed:064x}",
        label_index=0,
        contributor_address=CONTRIBUTOR,
        state=OutboxState.PENDING,
    )


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_an_acknowledged_upload_refuses_the_delete_whatever_its_state(world: World) -> None:
    for state in OutboxState:
        with world.sessions() as db:
            db.query(OutboxEntry).delete()
            entry = outbox_entry(world.dataset_id)
            entry.state = state
            db.add(entry)
            db.commit()
            owner, dataset = world.owner_and_dataset(db)
            with pytest.raises(Conflict, match="acknowledged uploads"):
                datasets.delete_dataset(db, owner, dataset)
        with world.sessions() as db:
            assert count(db, Dataset) == 1 and count(db, OutboxEntry) == 1


def test_a_delete_racing_an_uncommitted_upload_waits_for_it_and_is_refused(world: World) -> None:
    upload = world.sessions()
    upload.add(outbox_entry(world.dataset_id))
    upload.flush()  # inserted, not committed: the upload is between its insert and its commit
    outcome: list[BaseException | None] = []

    def delete() -> None:
        with world.sessions() as db:
            owner, dataset = world.owner_and_dataset(db)
            try:
                datasets.delete_dataset(db, owner, dataset)
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

    deleter = threading.Thread(target=delete)
    deleter.start()
    time.sleep(0.5)
    assert deleter.is_alive(), f"the delete did not wait for the upload: {outcome}"
    upload.commit()
    upload.close()
    deleter.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    with world.sessions() as db:
        assert count(db, Dataset) == 1 and count(db, OutboxEntry) == 1


class StubLink:
    """Signs like the chain link would; the signature's contents do not matter to this test."""

    ledger = SimpleNamespace(
        sign_contribution=lambda *_args: SimpleNamespace(signature=b"\x01" * 65, deadline=2**40)
    )

    def signer_for(self, wallet: Wallet) -> object:
        return object()


def test_an_upload_that_loses_the_race_fails_cleanly_and_stores_no_row(world: World, tmp_path: Any) -> None:
    with world.sessions() as uploading:
        owner, stale = world.owner_and_dataset(uploading)  # the upload read the dataset ...
        with world.sessions() as db:  # ... then the owner deleted it
            datasets.delete_dataset(db, *world.owner_and_dataset(db))
        with pytest.raises(NotFound, match="deleted while this upload was stored"):
            accept_upload(
                uploading,
                link=StubLink(),  # type: ignore[arg-type]
                blobs=LocalBlobStore(tmp_path / "blobs"),
                dataset=stale,
                user=owner,
                label="x",
                data=png(3),
            )
    with world.sessions() as db:
        assert count(db, Dataset) == 0 and count(db, OutboxEntry) == 0

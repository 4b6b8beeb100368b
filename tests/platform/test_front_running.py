"""Issue 15 item 10: someone anchors a queued upload's hash first, under their own label.

The relayer's batch still anchors the other uploads (the Dataset skips the taken hash with
``ItemSkipped``), and the victim's outbox entry ends "taken", naming the holder, never "sent" or
"confirmed"; whichever of the relayer and the indexer sees it first. The loops are not started: each
test drives ``relayer.step`` and ``indexer.sync`` itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.db.models import Item, OutboxEntry, OutboxState
from sebrus.platform import ChainServices, build_platform
from tests.support.images import png
from tests.support.platform import LOGIN_PASSWORD, Auth, cheap_settings, create_dataset, login
from tests.support.web import browser, submit

Stopped = tuple[TestClient, ChainServices]


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[Stopped]:
    app, services = build_platform(cheap_settings(tmp_path, upload_rate_per_minute=10_000))
    try:
        with TestClient(app) as client:
            yield client, services
    finally:
        services.stop()


def _queue(client: TestClient, auth: Auth, dataset_id: int, seeds: range) -> list[str]:
    hashes = []
    for seed in seeds:
        answer = client.post(
            f"/api/dataset/{dataset_id}/items",
            params={"label": "cat", "wait": "false"},
            content=png(seed),
            headers=auth,
        )
        assert answer.status_code == 202, answer.text
        hashes.append(answer.json()["content_hash"])
    return hashes


def _outbox(client: TestClient) -> dict[str, OutboxEntry]:
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        return {e.content_hash: e for e in db.scalars(select(OutboxEntry))}


def _item(client: TestClient, content_hash: str) -> Item | None:
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        item: Item | None = db.scalar(select(Item).where(Item.content_hash == content_hash))
        return item


def _attacker(services: ChainServices) -> LocalAccount:
    account: LocalAccount = Account.create()
    services.handle.ledger.transfer(services.handle.operators.deployer, account.address, 10**18)
    return account


def _front_run(services: ChainServices, dataset: dict[str, Any], content_hash: str) -> LocalAccount:
    """What an attacker watching the mempool does: anchor the hash first, as their own, as a dog."""
    attacker = _attacker(services)
    services.handle.ledger.submit(attacker, str(dataset["address"]), content_hash, "dog")
    return attacker


def test_a_front_run_upload_ends_taken_and_the_rest_of_the_batch_is_anchored(stopped: Stopped) -> None:
    client, services = stopped
    victim = login(client, "victim")
    dataset = create_dataset(client, login(client, "owner"))
    hashes = _queue(client, victim, int(dataset["id"]), range(3))
    attacker = _front_run(services, dataset, hashes[1])

    services.relayer.step()  # the relayer sees the batch through first; the indexer has not run

    entries = _outbox(client)
    assert entries[hashes[1]].state is OutboxState.TAKEN
    assert attacker.address in (entries[hashes[1]].error or "")
    assert {entries[h].state for h in (hashes[0], hashes[2])} <= {OutboxState.SENT, OutboxState.CONFIRMED}
    ledger = services.handle.ledger
    for mine in (hashes[0], hashes[2]):
        record = ledger.get_item(str(dataset["address"]), mine)
        assert record is not None and record.contributor != attacker.address
    taken = _item(client, hashes[1])
    assert taken is not None and taken.contributor_address == attacker.address and taken.label == "dog"
    assert _outbox(client)[hashes[1]].state is OutboxState.TAKEN  # the indexer did not confirm it

    # The audit lists it among the uploads that were not anchored as acknowledged.
    services.indexer.sync()
    audit = client.get(f"/api/dataset/{dataset['id']}/audit", headers=victim)
    assert audit.status_code == 200, audit.text
    notes = {n["content_hash"]: n for n in audit.json()["outbox"]}
    assert notes[hashes[1]]["state"] == "taken" and attacker.address in notes[hashes[1]]["error"]
    assert audit.json()["counts"]["outbox_taken"] == 1

    # Asking again tells the victim what happened, instead of "anchored" or a vague conflict.
    again = client.post(
        f"/api/dataset/{dataset['id']}/items", params={"label": "cat"}, content=png(1), headers=victim
    )
    assert again.status_code == 409
    assert "anchored first by" in again.json()["status"] and attacker.address in again.json()["status"]


def test_when_the_indexer_sees_the_front_runner_first_the_entry_is_taken_and_never_sent(
    stopped: Stopped,
) -> None:
    client, services = stopped
    victim = login(client, "victim2")
    dataset = create_dataset(client, login(client, "owner2"))
    hashes = _queue(client, victim, int(dataset["id"]), range(10, 12))
    attacker = _front_run(services, dataset, hashes[0])
    services.indexer.sync()
    assert _outbox(client)[hashes[0]].state is OutboxState.TAKEN

    services.relayer.step()
    services.indexer.sync()
    entries = _outbox(client)
    assert entries[hashes[0]].state is OutboxState.TAKEN and entries[hashes[0]].tx_hash is None
    assert entries[hashes[1]].state is OutboxState.CONFIRMED
    record = services.handle.ledger.get_item(str(dataset["address"]), hashes[0])
    assert record is not None and record.contributor == attacker.address


def test_an_upload_waiting_for_its_item_is_told_it_was_taken(stopped: Stopped) -> None:
    """The upload request waits for its item; the front-runner's item appears instead: 409, not 201."""
    client, services = stopped
    victim = login(client, "victim4")
    dataset = create_dataset(client, login(client, "owner4"))
    answers: list[Any] = []

    def send() -> None:
        answers.append(
            client.post(
                f"/api/dataset/{dataset['id']}/items",
                params={"label": "cat"},
                content=png(30),
                headers=victim,
            )
        )

    waiting = threading.Thread(target=send)
    waiting.start()
    content_hash = hashlib.sha256(png(30)).hexdigest()
    deadline = time.monotonic() + 10
    while content_hash not in _outbox(client) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the upload is acknowledged (queued) and waiting for its item
    attacker = _front_run(services, dataset, content_hash)
    services.indexer.sync()  # indexes the front-runner's item: wakes the waiting request
    waiting.join(timeout=30)
    (answer,) = answers
    assert answer.status_code == 409, answer.text
    assert "anchored first by" in answer.json()["status"] and attacker.address in answer.json()["status"]


def test_the_profile_says_an_upload_was_taken(stopped: Stopped) -> None:
    client, services = stopped
    victim = login(client, "victim3")
    dataset = create_dataset(client, login(client, "owner3"))
    (content_hash,) = _queue(client, victim, int(dataset["id"]), range(20, 21))
    _front_run(services, dataset, content_hash)
    services.relayer.step()
    pages = browser(client.app)  # the pages sign in with a session cookie
    signed_in = submit(
        pages, "/login", {"username": "victim3", "password": LOGIN_PASSWORD, "next": "/profile"}
    )
    assert signed_in.status_code == 303, signed_in.text
    page = pages.get("/profile")
    assert page.status_code == 200
    assert "taken: This image was anchored first by" in page.text

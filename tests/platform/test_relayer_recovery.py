"""The relayer's two windows between the chain and the outbox, driven step by step in one process.

The loops are never started here: each test calls ``relayer.step`` and ``indexer.sync`` itself, so
the interleaving it checks is exact rather than likely.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.config import Settings
from sebrus.db.models import Item, OutboxEntry, OutboxState
from sebrus.platform import ChainServices, build_platform
from sebrus.services.ingest import relayer as relayer_module
from tests.support.images import png
from tests.support.platform import create_dataset, login


class Crash(BaseException):
    """Stands in for SIGKILL: nothing after the fault point runs, nothing uncommitted survives."""


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[tuple[TestClient, ChainServices]]:
    settings = Settings(
        data_dir=tmp_path,
        password_time_cost=1,
        password_memory_cost_kib=64,
        password_parallelism=1,
        signup_per_hour=0,
    )
    app, services = build_platform(settings)  # loops not started
    try:
        with TestClient(app) as client:
            yield client, services
    finally:
        services.stop()


def queue_uploads(client: TestClient, count: int) -> tuple[dict[str, Any], list[str]]:
    auth = login(client, "owner")
    dataset = create_dataset(client, auth)
    hashes = []
    for seed in range(count):
        answer = client.post(
            f"/api/dataset/{dataset['id']}/items",
            params={"label": "cat", "wait": "false"},
            content=png(seed),
            headers=auth,
        )
        assert answer.status_code == 202, answer.text
        hashes.append(answer.json()["content_hash"])
    return dataset, hashes


def outbox(client: TestClient) -> list[OutboxEntry]:
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def test_a_batch_mined_before_a_crash_is_not_sent_again(
    stopped: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = stopped
    dataset, hashes = queue_uploads(client, 3)

    def crash(point: str) -> None:
        if point == "after-chain-send":
            raise Crash

    monkeypatch.setattr(relayer_module, "maybe_crash", crash)
    with pytest.raises(Crash):
        services.relayer.step()
    assert services.handle.ledger.dataset(str(dataset["address"])).item_count == 3  # mined
    assert {e.state for e in outbox(client)} == {OutboxState.PENDING}  # but not recorded

    monkeypatch.undo()  # "restart"
    sent: list[int] = []
    real_send = services.handle.ledger.submit_batch_for

    def counting_send(*args: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return real_send(*args, **kwargs)

    monkeypatch.setattr(services.handle.ledger, "submit_batch_for", counting_send)
    services.relayer.step()
    assert sent == [], "the restarted relayer sent the already-mined batch again"
    entries = outbox(client)
    assert [(e.state, e.error) for e in entries] == [(OutboxState.CONFIRMED, None)] * 3
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        assert sorted(db.scalars(select(Item.content_hash))) == sorted(hashes)


def test_the_indexer_confirming_first_is_not_overwritten_by_sent(
    stopped: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = stopped
    queue_uploads(client, 2)
    real_send = services.handle.ledger.submit_batch_for

    def send_then_index(*args: Any, **kwargs: Any) -> Any:
        result = real_send(*args, **kwargs)
        services.indexer.sync()  # the indexer thread wins the race to the outbox row
        return result

    monkeypatch.setattr(services.handle.ledger, "submit_batch_for", send_then_index)
    services.relayer.step()
    assert [e.state for e in outbox(client)] == [OutboxState.CONFIRMED] * 2


def test_the_relayer_writes_the_items_from_its_receipt_without_the_indexer(
    stopped: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The item rows come from the outbox's facts and the receipt's events, in the confirming
    transaction: with the indexer switched off and the blobs unreadable, the items are still whole."""
    client, services = stopped
    dataset, hashes = queue_uploads(client, 4)
    monkeypatch.setattr(services.indexer, "sync", lambda: 0)
    monkeypatch.setattr(
        client.app.state.platform.blobs,  # type: ignore[attr-defined]
        "get",
        lambda key: pytest.fail("the relayer read a blob back"),
    )
    assert services.relayer.step() == 4
    assert {e.state for e in outbox(client)} == {OutboxState.CONFIRMED}
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        items = list(db.scalars(select(Item).order_by(Item.id)))
    assert [i.content_hash for i in items] == hashes
    assert [(i.width, i.height, i.media_type, i.size) for i in items] == [
        (8, 8, "image/png", len(png(seed))) for seed in range(4)
    ]
    assert all(i.tx_hash and i.block_number is not None and i.log_index is not None for i in items)
    assert [i.label for i in items] == ["cat"] * 4 and items[0].contributor_user_id is not None

    monkeypatch.undo()
    services.indexer.sync()  # the indexer then only reconciles: nothing doubled
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        assert len(list(db.scalars(select(Item)))) == 4
    assert dataset["id"] == items[0].dataset_id

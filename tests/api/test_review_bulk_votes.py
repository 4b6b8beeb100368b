"""``POST /api/dataset/{id}/review/votes`` on the embedded chain: authentication and CSRF as every mutating
route, per-entry outcomes with the settlement time, and 4xx answers whose ``status`` names each problem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.platform import (
    LOGIN_PASSWORD,
    Auth,
    create_dataset,
    login,
    review_path,
    running_platform,
    upload,
)

STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("bulk-api") / "data", review_finalizer=False) as running:
        yield running


@pytest.fixture(scope="module")
def setting(platform: tuple[TestClient, ChainServices]) -> dict[str, Any]:
    client, _ = platform
    owner, contributor = login(client, "bapi-owner"), login(client, "bapi-contrib")
    ds = int(create_dataset(client, owner, "bulk-api", {"x": 3, "stake_wei": STAKE})["id"])
    items = [upload(client, contributor, ds, 9100 + n) for n in range(4)]
    return {"ds": ds, "items": items}


def _votes(*entries: tuple[str, str]) -> dict[str, Any]:
    return {"votes": [{"sha256": ref, "decision": decision} for ref, decision in entries]}


def _send(client: TestClient, ds: int, body: dict[str, Any], auth: Auth | None = None) -> Any:
    return client.post(review_path(ds, "votes"), json=body, headers=auth or {})


def test_anonymous_and_cookie_sessions_without_csrf_are_refused(
    platform: tuple[TestClient, ChainServices], setting: dict[str, Any]
) -> None:
    client, _ = platform
    ds, items = setting["ds"], setting["items"]
    anonymous = _send(client, ds, _votes((items[0], "approve")))
    assert anonymous.status_code == 401, anonymous.text
    login(client, "bapi-cookie")  # registers; the helper forgets its cookie
    opened = client.post("/api/session", json={"username": "bapi-cookie", "password": LOGIN_PASSWORD})
    csrf = opened.json()["session"]["csrf_token"]
    try:
        forged = _send(client, ds, _votes((items[0], "approve")))
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["status"]
        sent = _send(client, ds, _votes((items[0], "approve")), {"X-CSRF-Token": csrf})
        assert sent.status_code == 200, sent.text
        assert sent.json()["settled"] == 1
    finally:
        client.cookies.clear()


def test_outcomes_per_entry_with_the_settlement_time(
    platform: tuple[TestClient, ChainServices], setting: dict[str, Any]
) -> None:
    client, _ = platform
    ds, items = setting["ds"], setting["items"]
    reviewer = login(client, "bapi-rev")
    assert _send(client, ds, _votes((items[1], "reject")), reviewer).status_code == 200
    answer = _send(
        client, ds, _votes((items[1], "approve"), (items[2][:13], "approve"), (items[3], "reject")), reviewer
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # One bond top-up from the wallet, then both ballots in one relayed transaction.
    assert (body["settled"], body["refused"], body["transactions"]) == (2, 1, 2)
    assert body["settler"] == "signed ballots, one relayed transaction"
    assert body["bond_topped_up_wei"] != "0" and "in 1 transaction." in body["status"]
    assert first_tx_same(body)
    assert body["status"].startswith("2 votes settled in ") and body["status"].endswith(
        "1 refused: see each entry."
    )
    assert 0 < body["settlement_seconds"] < 60 and body["gas_used"] > 0
    first, second, third = body["outcomes"]
    assert (first["outcome"], first["error"], first["tx_hash"], first["item"]) == (
        "refused",
        "AlreadyVoted",
        None,
        None,
    )
    assert first["message"].startswith(f"Item {items[1][:13]}: ")
    assert (second["sha256"], second["content_hash"], second["outcome"]) == (
        items[2][:13],
        items[2],
        "settled",
    )
    assert third["decision"] == "reject" and third["tx_hash"].startswith("0x")
    # Blind review: an item still undecided hides who contributed it.
    assert (second["item"]["contributor"], second["item"]["contributor_user_id"]) == (None, None)


def test_refusals_are_4xx_sentences_naming_the_entries(
    platform: tuple[TestClient, ChainServices], setting: dict[str, Any]
) -> None:
    client, _ = platform
    ds, items = setting["ds"], setting["items"]
    reviewer = login(client, "bapi-4xx")
    unknown = "e" * 64 if not any(i.startswith("e") for i in items) else "d" * 64

    twice = _send(client, ds, _votes((items[0], "approve"), (items[0][:20], "reject")), reviewer)
    assert twice.status_code == 400
    assert f"Entry 2 names item {items[0][:13]} again" in twice.json()["status"]
    missing = _send(client, ds, _votes((unknown, "approve")), reviewer)
    assert missing.status_code == 404 and "has no item whose sha256 starts with" in missing.json()["status"]
    assert _send(client, ds, _votes((items[0], "approve")), reviewer).status_code == 200
    again = _send(client, ds, _votes((items[0], "approve")), reviewer)
    assert again.status_code == 409
    already = "You have already voted on this item in this round."
    assert again.json()["status"] == f"None of these votes can be cast: Item {items[0][:13]}: {already}"
    bad_side = _send(client, ds, _votes((items[1], "maybe")), reviewer)
    assert bad_side.status_code == 422
    too_many = _send(client, ds, _votes(*[(items[1], "approve")] * 101), reviewer)
    assert too_many.status_code == 422
    assert _send(client, ds, {"votes": []}, reviewer).status_code == 422
    assert _send(client, 10**9, _votes((items[1], "approve")), reviewer).status_code == 404


def test_openapi_documents_the_route(platform: tuple[TestClient, ChainServices]) -> None:
    client, _ = platform
    spec = client.get("/openapi.json").json()
    route = spec["paths"]["/api/dataset/{dataset_id}/review/votes"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(route["responses"])
    assert "refused whole" in route["description"]


def first_tx_same(body: dict[str, Any]) -> bool:
    """The settled entries share the one settlement transaction."""
    return len({o["tx_hash"] for o in body["outcomes"] if o["outcome"] == "settled"}) == 1

"""``GET/POST /api/dataset/{id}/review/bond[/deposit|/withdraw]`` on the embedded chain: a reviewer reads,
fills and empties their own bond; a withdrawal the open votes' stakes do not leave room for is refused
with a sentence; writes need authentication and, for cookie sessions, the CSRF header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.platform import (
    LOGIN_PASSWORD,
    create_dataset,
    login,
    review_path,
    running_platform,
    upload,
)

STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("bond-api") / "data", review_finalizer=False) as running:
        yield running


def test_a_reviewer_reads_fills_and_empties_their_bond(platform: tuple[TestClient, ChainServices]) -> None:
    client, _ = platform
    owner, contributor, reviewer = (
        login(client, "bond-owner"),
        login(client, "bond-contrib"),
        login(client, "bond-rev"),
    )
    ds = int(create_dataset(client, owner, "bond-api", {"x": 3, "stake_wei": STAKE})["id"])
    items = [upload(client, contributor, ds, 9300 + n) for n in range(2)]
    votes = {"votes": [{"sha256": h, "decision": "approve"} for h in items]}
    voted = client.post(review_path(ds, "votes"), json=votes, headers=reviewer)
    assert voted.status_code == 200 and voted.json()["settled"] == 2, voted.text

    # The page's stakes were topped up into the bond and are held by the two open votes.
    read = client.get(review_path(ds, "bond"), headers=reviewer)
    assert read.status_code == 200, read.text
    assert read.json()["available_wei"] == "0" and read.json()["tx_hash"] is None
    refused = client.post(review_path(ds, "bond", "withdraw"), json={}, headers=reviewer)
    assert refused.status_code == 409 and "stakes of your open votes stay in it" in refused.json()["status"]

    added = client.post(review_path(ds, "bond", "deposit"), json={"amount_wei": str(STAKE)}, headers=reviewer)
    assert added.status_code == 200, added.text
    assert added.json()["available_wei"] == str(STAKE) and added.json()["tx_hash"]
    assert (
        added.json()["status"]
        == "Deposited into your bond. Your review bond holds 0.001 ETH you can withdraw."
    )
    too_much = client.post(
        review_path(ds, "bond", "withdraw"), json={"amount_wei": str(2 * STAKE)}, headers=reviewer
    )
    assert too_much.status_code == 409 and "0.001 ETH available to withdraw" in too_much.json()["status"]
    bad = client.post(review_path(ds, "bond", "deposit"), json={"amount_wei": "0"}, headers=reviewer)
    assert bad.status_code == 422
    emptied = client.post(review_path(ds, "bond", "withdraw"), json={}, headers=reviewer)
    assert emptied.status_code == 200 and emptied.json()["available_wei"] == "0", emptied.text


def test_bond_writes_need_a_user_and_csrf_for_cookie_sessions(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner = login(client, "bond-owner2")
    ds = int(create_dataset(client, owner, "bond-auth", {"x": 3, "stake_wei": STAKE})["id"])
    body = {"amount_wei": str(STAKE)}
    assert client.post(review_path(ds, "bond", "deposit"), json=body).status_code == 401
    assert client.get(review_path(ds, "bond")).status_code == 401
    login(client, "bond-cookie")
    opened = client.post("/api/session", json={"username": "bond-cookie", "password": LOGIN_PASSWORD})
    csrf = opened.json()["session"]["csrf_token"]
    try:
        forged = client.post(review_path(ds, "bond", "deposit"), json=body)
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["status"]
        sent = client.post(review_path(ds, "bond", "deposit"), json=body, headers={"X-CSRF-Token": csrf})
        assert sent.status_code == 200 and sent.json()["available_wei"] == str(STAKE), sent.text
    finally:
        client.cookies.clear()

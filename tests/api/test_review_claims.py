"""``POST /api/dataset/{id}/review/claims`` on the embedded chain: a reviewer's two winning ballots are
credited to their bond in one transaction; nothing left is a 409 sentence; the write needs a user and,
for cookie sessions, the CSRF header."""

from __future__ import annotations

from collections.abc import Iterator

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
REWARD = 10**14


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("claims-api") / "data", review_finalizer=False) as running:
        yield running


def won_twice(client: TestClient, name: str, reviewer: Auth) -> int:
    """A dataset (x = 3) where ``reviewer`` cast the first, winning, ballot on two decided items."""
    owner, contributor = login(client, f"{name}-owner"), login(client, f"{name}-contrib")
    others = [login(client, f"{name}-other{n}") for n in range(2)]
    ds = int(create_dataset(client, owner, name, {"x": 3, "stake_wei": STAKE, "reward_wei": REWARD})["id"])
    fund = {"amount_wei": str(10 * REWARD)}
    funded = client.post(review_path(ds, "pool", "fund"), json=fund, headers=owner)
    assert funded.status_code == 200, funded.text
    for seed in (9700, 9701):
        item = upload(client, contributor, ds, seed + len(name))
        for auth in (reviewer, *others):
            voted = client.post(review_path(ds, "items", item, "vote"), json={"approve": True}, headers=auth)
            assert voted.status_code == 200, voted.text
    return ds


def test_two_payouts_are_claimed_in_one_transaction_then_nothing_waits(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    reviewer = login(client, "claims-rev")
    ds = won_twice(client, "claims-api", reviewer)
    waiting = client.get("/api/review/claims", params={"dataset_id": ds}, headers=reviewer).json()["claims"]
    assert len(waiting) == 2

    done = client.post(review_path(ds, "claims"), headers=reviewer)

    assert done.status_code == 200, done.text
    answer = done.json()
    assert (answer["claimed"], answer["transactions"], answer["into_bond"]) == (2, 1, True)
    assert int(answer["credited_wei"]) == sum(int(w["amount_wei"]) for w in waiting)
    assert len({c["tx_hash"] for c in answer["claims"]}) == 1
    assert "credited to your review bond" in answer["status"]
    bond = client.get(review_path(ds, "bond"), headers=reviewer).json()
    assert bond["available_wei"] == answer["credited_wei"]
    again = client.post(review_path(ds, "claims"), headers=reviewer)
    assert again.status_code == 409 and "Nothing to claim" in again.json()["status"]


def test_claim_all_needs_a_user_and_csrf_for_cookie_sessions(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner = login(client, "claims-owner2")
    ds = int(create_dataset(client, owner, "claims-auth", {"x": 3, "stake_wei": STAKE})["id"])
    assert client.post(review_path(ds, "claims")).status_code == 401
    login(client, "claims-cookie")
    opened = client.post("/api/session", json={"username": "claims-cookie", "password": LOGIN_PASSWORD})
    csrf = opened.json()["session"]["csrf_token"]
    try:
        forged = client.post(review_path(ds, "claims"))
        assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["status"]
        sent = client.post(review_path(ds, "claims"), headers={"X-CSRF-Token": csrf})
        assert sent.status_code == 409 and "Nothing to claim" in sent.json()["status"], sent.text
    finally:
        client.cookies.clear()

"""A reviewer's day without friction: an upload says when a deposit is due, the queue marks what nobody
can vote on yet (deposit unpaid, reward pool short) and disables its buttons, a contributor pays every
due deposit at once (API and profile button), and the owner is warned before the pool runs dry."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.chain.review import ReviewLedger
from tests.support.images import png
from tests.support.platform import Auth, create_dataset, login, review_path, upload
from tests.support.web import PASSWORD, browser, csrf_from, register

STAKE = 10**15
DEPOSIT = 2 * 10**15  # 0.002 ETH
REWARD = 10**14  # 0.0001 ETH


def _bearer(client: TestClient, username: str) -> Auth:
    session = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert session.status_code == 201, session.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def _wait_for_item(api: TestClient, dataset_id: int, sha: str) -> None:
    """A bulk upload answers before anchoring: wait until the indexer has the item."""
    deadline = time.monotonic() + 30
    while api.get(f"/api/dataset/{dataset_id}/items/{sha}").status_code != 200:
        assert time.monotonic() < deadline, f"item {sha} was never indexed"
        time.sleep(0.2)


def _queue(api: TestClient, auth: Auth, dataset_id: int) -> dict[str, dict[str, object]]:
    answer = api.get(review_path(dataset_id, "queue"), headers=auth)
    assert answer.status_code == 200, answer.text
    return {e["item"]["content_hash"]: e for e in answer.json()["items"]}


def test_deposits_are_announced_marked_in_the_queue_and_paid_all_at_once(app: FastAPI) -> None:
    api = TestClient(app)
    owner = login(api, "fr-owner")
    reviewer = login(api, "fr-reviewer")
    pages = browser(app)
    register(pages, "fr-contrib")
    contributor = _bearer(TestClient(app), "fr-contrib")
    policy = {"x": 1, "stake_wei": STAKE, "deposit_wei": DEPOSIT}
    ds = int(create_dataset(api, owner, "deposits-due", policy)["id"])
    form = pages.get(f"/contribute?dataset={ds}").text
    contributed = pages.post(
        "/contribute",
        data={"csrf_token": csrf_from(form), "dataset": str(ds), "label": "cat"},
        files=[("files", ("cat.png", png(1300), "image/png"))],
    )
    assert contributed.status_code == 200, contributed.text
    assert "review deposit of 0.002 ETH per item: nobody can vote on this item" in contributed.text

    single = api.post(
        f"/api/dataset/{ds}/items", params={"label": "cat"}, content=png(1301), headers=contributor
    )
    assert single.status_code == 201, single.text
    due = single.json()["deposit_due"]
    assert due["amount_wei"] == str(DEPOSIT)
    assert "deposit of 0.002 ETH" in due["message"] and "nobody can vote on this item" in due["message"]
    bulk = api.post(
        f"/api/dataset/{ds}/uploads",
        files=[("cat", ("a.png", png(1302), "image/png")), ("dog", ("b.png", png(1303), "image/png"))],
        headers=contributor,
    )
    assert bulk.status_code == 200, bulk.text
    assert "these 2 items" in bulk.json()["deposit_due"]["message"]
    hashes = [single.json()["content_hash"], *(a["content_hash"] for a in bulk.json()["accepted"])]
    for sha in hashes[1:]:
        _wait_for_item(api, ds, sha)

    queue = _queue(api, reviewer, ds)
    first = queue[hashes[0]]
    assert first["can_vote"] is False and first["deposit_due"] is True
    assert "deposit" in str(first["waiting_for"])
    page = browser(app)
    register(page, "fr-page-reviewer")
    review_page = page.get(f"/review?dataset={ds}").text
    assert "cannot be voted on now" in review_page and " disabled aria-describedby" in review_page

    profile = pages.get("/profile").text
    assert "Pay all due deposits" in profile
    paid = pages.post("/profile/deposits", data={"csrf_token": csrf_from(profile)})
    assert paid.status_code == 303, paid.text
    assert "Every deposit due is paid" in pages.get(paid.headers["location"]).text
    opened = _queue(api, reviewer, ds)
    assert set(hashes) <= set(opened) and all(opened[sha]["can_vote"] for sha in hashes)
    assert opened[hashes[0]]["waiting_for"] is None

    again = api.post(review_path(ds, "deposits"), json={}, headers=contributor)
    assert again.status_code == 200, again.text
    assert again.json()["paid"] == [] and again.json()["status"].startswith("No deposit is due")
    assert "Pay all due deposits" not in pages.get("/profile").text


def test_the_api_pays_every_due_deposit_of_a_dataset_in_one_request(app: FastAPI) -> None:
    api = TestClient(app)
    owner, contributor = login(api, "fr2-owner"), login(api, "fr2-contrib")
    ds = int(
        create_dataset(api, owner, "deposits-api", {"x": 1, "stake_wei": STAKE, "deposit_wei": DEPOSIT})["id"]
    )
    hashes = [upload(api, contributor, ds, 1310 + n) for n in range(3)]
    done = api.post(review_path(ds, "deposits"), json={}, headers=contributor)
    assert done.status_code == 200, done.text
    body = done.json()
    assert sorted(p["item"]["content_hash"] for p in body["paid"]) == sorted(hashes)
    assert body["total_wei"] == str(3 * DEPOSIT) and body["remaining"] == 0
    # A version 3 review takes the dataset's deposits in one depositBatch transaction.
    assert len({p["tx_hash"] for p in body["paid"]}) == 1 and body["transactions"] == 1
    assert body["status"].startswith("Paid 3 deposits (0.006 ETH), in 1 transaction: those items are open")
    plain = create_dataset(api, owner, "no-deposit", {"x": 1, "stake_wei": STAKE})
    answer = api.post(
        f"/api/dataset/{plain['id']}/items", params={"label": "cat"}, content=png(1320), headers=contributor
    )
    assert answer.json()["deposit_due"] is None


def test_the_owner_is_warned_and_reviewers_told_before_the_pool_runs_dry(app: FastAPI) -> None:
    api = TestClient(app)
    owner_pages = browser(app)
    register(owner_pages, "fr-pool-owner")
    owner = _bearer(TestClient(app), "fr-pool-owner")
    contributor, reviewer = login(api, "fr-pool-contrib"), login(api, "fr-pool-rev")
    ds = int(
        create_dataset(api, owner, "thin-pool", {"x": 1, "stake_wei": STAKE, "reward_wei": REWARD})["id"]
    )
    sha = upload(api, contributor, ds, 1330)

    # Empty pool: reviewers are told before voting, the page disables the buttons, the owner is warned.
    entry = _queue(api, reviewer, ds)[sha]
    assert entry["reward_payable"] is False and entry["can_vote"] is False
    assert "reward pool cannot pay" in str(entry["waiting_for"])
    assert "voting is paused until you fund it" in owner_pages.get(f"/datasets/{ds}").text
    refused = api.post(review_path(ds, "items", sha, "vote"), json={"approve": True}, headers=reviewer)
    assert refused.status_code == 409 and refused.json()["error"] == "InsufficientPool"
    assert "InsufficientPool" not in refused.json()["status"] and "fund the pool" in refused.json()["status"]

    funded = api.post(review_path(ds, "pool", "fund"), json={"amount_wei": 5 * REWARD}, headers=owner)
    assert funded.status_code == 200, funded.text
    assert _queue(api, reviewer, ds)[sha]["can_vote"] is True
    warning = "The reward pool covers only 5 more votes"
    assert warning in owner_pages.get(f"/datasets/{ds}").text and warning in owner_pages.get("/profile").text
    assert warning not in browser(app).get(f"/datasets/{ds}").text  # owners only

    enough = api.post(review_path(ds, "pool", "fund"), json={"amount_wei": 20 * REWARD}, headers=owner)
    assert enough.status_code == 200, enough.text
    assert "pool-warning" not in owner_pages.get(f"/datasets/{ds}").text  # 25 votes covered: no warning


def test_an_older_review_takes_the_deposits_one_transaction_each(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is chosen from the review's version: one that answers 2 (the previous factory's) is
    paid item by item, in a row."""
    api = TestClient(app)
    owner, contributor = login(api, "fr4-owner"), login(api, "fr4-contrib")
    ds = int(
        create_dataset(api, owner, "deposits-v2", {"x": 1, "stake_wei": STAKE, "deposit_wei": DEPOSIT})["id"]
    )
    for n in range(2):
        upload(api, contributor, ds, 1410 + n)
    monkeypatch.setattr(ReviewLedger, "review_version", lambda self, dataset: 2)
    done = api.post(review_path(ds, "deposits"), json={}, headers=contributor)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["transactions"] == 2 and len({p["tx_hash"] for p in body["paid"]}) == 2
    assert body["status"].startswith("Paid 2 deposits (0.004 ETH), one transaction each")

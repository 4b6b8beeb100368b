"""The /review page: a reviewer sees the blind queue with the stake, votes by form, then claims."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.images import png
from tests.support.web import PASSWORD, api_user, browser, csrf_from, register


def test_vote_and_claim_from_the_review_page(app: FastAPI, services: ChainServices) -> None:
    api = TestClient(app)
    owner, contributor = api_user(TestClient(app), "rp-owner"), api_user(TestClient(app), "rp-contrib")
    body = {"datasetName": "rp-pets", "description": "d", "labels": ["cat", "dog"], "review_policy": {"x": 1}}
    dataset = api.post("/api/dataset", json=body, headers=owner).json()["new_dataset"]
    ds = dataset["id"]
    sent = api.post(
        f"/api/dataset/{ds}/items", params={"label": "dog"}, content=png(900), headers=contributor
    )
    assert sent.status_code == 201, sent.text
    sha = sent.json()["item"]["content_hash"]

    # The contributor's own item never reaches their queue.
    mine = browser(app)
    session = api.post("/api/session", json={"username": "rp-contrib", "password": PASSWORD}).json()[
        "session"
    ]
    mine.cookies.set("session", session["token"])
    own_page = mine.get(f"/review?dataset={ds}").text
    assert "Nothing waiting for your vote here." in own_page and sha not in own_page

    reviewer = browser(app)
    register(reviewer)
    page = reviewer.get(f"/review?dataset={ds}")
    assert page.status_code == 200, page.text
    assert sha in page.text and "0.001 ETH" in page.text and "Approve" in page.text
    assert "approvals" not in page.text.lower()  # blind: no tally on the page

    forged = reviewer.post(
        "/review/vote", data={"csrf_token": "wrong", "dataset": str(ds), "sha256": sha, "side": "approve"}
    )
    assert forged.status_code == 403
    token = csrf_from(page.text)
    voted = reviewer.post(
        "/review/vote", data={"csrf_token": token, "dataset": str(ds), "sha256": sha, "side": "approve"}
    )
    assert voted.status_code == 303 and voted.headers["location"] == f"/review?dataset={ds}&done=vote"
    assert api.get(f"/api/dataset/{ds}/items/{sha}").json()["item"]["status"] == "approved"
    again = reviewer.post(
        "/review/vote", data={"csrf_token": token, "dataset": str(ds), "sha256": sha, "side": "reject"}
    )
    assert (
        again.status_code == 409 and "already resolved" in again.text and "AlreadyResolved" not in again.text
    )

    after = reviewer.get(voted.headers["location"]).text
    assert "Your vote is in." in after and "Nothing waiting for your vote here." in after
    claim_form = re.search(r'name="round" value="(\d+)"', after)
    assert claim_form is not None and "0.001 ETH" in after
    claimed = reviewer.post(
        "/review/claim",
        data={"csrf_token": token, "dataset": str(ds), "sha256": sha, "round": claim_form.group(1)},
    )
    assert claimed.status_code == 303, claimed.text
    assert "Nothing to claim." in reviewer.get(claimed.headers["location"]).text

    # The item's page now shows every ballot (the item is decided), who cast it and what it paid out.
    item_id = api.get(f"/api/dataset/{ds}/items/{sha}").json()["item"]["id"]
    item_page = mine.get(f"/items/{item_id}").text
    assert "Reviewers decided: <strong>Approved</strong>, 1 to approve and 0 to reject." in item_page
    ballots = item_page.split('id="ballots"', 1)[1].split("</table>", 1)[0]
    reviewer_name = re.search(r"Signed in as </span><strong>([^<]+)</strong>", after)
    assert reviewer_name is not None and reviewer_name.group(1) in ballots
    assert "Approve" in ballots and "0.001 ETH" in ballots and "not claimed" not in ballots


def test_an_undecided_items_page_shows_only_the_visitors_own_vote(
    app: FastAPI, services: ChainServices
) -> None:
    api = TestClient(app)
    owner, contributor = api_user(TestClient(app), "rp2-owner"), api_user(TestClient(app), "rp2-contrib")
    body = {
        "datasetName": "rp2-pets",
        "description": "d",
        "labels": ["cat", "dog"],
        "review_policy": {"x": 2},
    }
    ds = api.post("/api/dataset", json=body, headers=owner).json()["new_dataset"]["id"]
    sent = api.post(
        f"/api/dataset/{ds}/items", params={"label": "cat"}, content=png(901), headers=contributor
    )
    sha, item_id = sent.json()["item"]["content_hash"], sent.json()["item"]["id"]
    first, second = browser(app), browser(app)
    first_name, second_name = register(first), register(second)
    token = csrf_from(first.get(f"/review?dataset={ds}").text)
    voted = first.post(
        "/review/vote", data={"csrf_token": token, "dataset": str(ds), "sha256": sha, "side": "reject"}
    )
    assert voted.status_code == 303, voted.text

    mine = first.get(f"/items/{item_id}").text
    assert "2 votes on one side decide this item" in mine
    assert "only yours is shown" in mine and first_name in mine and "Reject" in mine
    theirs = second.get(f"/items/{item_id}").text
    assert 'id="ballots"' not in theirs and first_name not in theirs  # blind until decided
    assert "No votes yet from you" in theirs and second_name in theirs

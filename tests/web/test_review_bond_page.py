"""The review page's bond panel (review version 3): the visitor sees their own bond after a page vote
topped it up, the Withdraw button is refused with a sentence while open votes hold the stakes, and
withdraws what is available once there is some; the form needs its CSRF token."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.platform import create_dataset, login, review_path, upload
from tests.support.web import browser, csrf_from, register

STAKE = 10**15


def test_the_bond_panel_shows_the_bond_and_withdraws_what_is_available(app: FastAPI) -> None:
    api = TestClient(app)
    owner, contributor = login(api, "bondw-owner"), login(api, "bondw-contrib")
    ds = int(create_dataset(api, owner, "bond-web", {"x": 3, "stake_wei": STAKE})["id"])
    item = upload(api, contributor, ds, 8900)
    pages = browser(app)
    register(pages, "bondw-rev")
    page = pages.get(f"/review?dataset={ds}")
    token = csrf_from(page.text)
    assert (
        'id="review-bond"' in page.text
        and 'You can withdraw <strong class="bond-available">0 ETH' in page.text
    )
    voted = pages.post(
        "/review/votes", data={"csrf_token": token, "dataset": str(ds), f"vote:{item}": "approve"}
    )
    assert voted.status_code == 200 and "in 1 transaction." in voted.text, voted.text

    forged = pages.post("/review/bond/withdraw", data={"dataset": str(ds)})
    assert forged.status_code == 403
    held = pages.post("/review/bond/withdraw", data={"csrf_token": token, "dataset": str(ds)})
    assert held.status_code == 409 and "stakes of your open votes stay in it" in held.text

    added = pages.post(
        review_path(ds, "bond", "deposit"), json={"amount_wei": str(STAKE)}, headers={"X-CSRF-Token": token}
    )
    assert added.status_code == 200, added.text
    assert 'class="bond-available">0.001 ETH' in pages.get(f"/review?dataset={ds}").text
    done = pages.post("/review/bond/withdraw", data={"csrf_token": token, "dataset": str(ds)})
    assert done.status_code == 303, done.text
    after = pages.get(done.headers["location"])
    assert "Withdrawn: your bond" in after.text and 'class="bond-available">0 ETH' in after.text

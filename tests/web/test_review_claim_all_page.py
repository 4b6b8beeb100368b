"""The review page's "Claim all" button: shown for the chosen dataset when payouts wait there, it claims
them in one transaction into the bond (the bond panel shows them); the form needs its CSRF token."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.platform import create_dataset, login, review_path, upload
from tests.support.web import browser, csrf_from, register

STAKE = 10**15


def test_claim_all_button_claims_every_waiting_payout(app: FastAPI) -> None:
    api = TestClient(app)
    owner, contributor = login(api, "cla-owner"), login(api, "cla-contrib")
    others = [login(api, f"cla-other{n}") for n in range(2)]
    ds = int(create_dataset(api, owner, "claims-web", {"x": 3, "stake_wei": STAKE})["id"])
    items = [upload(api, contributor, ds, 8950 + n) for n in range(2)]
    pages = browser(app)
    register(pages, "cla-rev")
    token = csrf_from(pages.get(f"/review?dataset={ds}").text)
    for item in items:
        mine = pages.post(
            review_path(ds, "items", item, "vote"), json={"approve": True}, headers={"X-CSRF-Token": token}
        )
        assert mine.status_code == 200, mine.text
        for auth in others:
            voted = api.post(review_path(ds, "items", item, "vote"), json={"approve": True}, headers=auth)
            assert voted.status_code == 200, voted.text

    page = pages.get(f"/review?dataset={ds}")
    assert 'action="/review/claims"' in page.text and "Claim all on claims-web" in page.text
    forged = pages.post("/review/claims", data={"dataset": str(ds)})
    assert forged.status_code == 403
    done = pages.post("/review/claims", data={"csrf_token": token, "dataset": str(ds)})
    assert done.status_code == 303, done.text
    after = pages.get(done.headers["location"])
    assert "Claimed every payout waiting on this dataset" in after.text
    assert 'action="/review/claims"' not in after.text
    assert f'class="bond-available">{2 * STAKE / 10**18:g} ETH' in after.text

"""Reviewing with a browser wallet in a real browser: a stub EIP-1193 provider (``window.ethereum``)
whose signatures and transactions come from a test key held in Python. The reviewer links it on
/review, votes with it (the wallet sends the transaction the server prepared), then claims with it. Runs on
the embedded chain and on a real JSON-RPC node (anvil)."""

from __future__ import annotations

from typing import Any

import httpx

from sebrus.chain.review_types import BallotState
from tests.support.browser import DESKTOP, Visit, register_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer
from tests.support.stub_wallet import StubWallet
from tests.support.web import api_user


def test_a_reviewer_votes_and_claims_with_a_browser_wallet(chromium: Any, wallet_server: LiveServer) -> None:
    from playwright.sync_api import expect

    services = wallet_server.services
    assert services.handle.reviews is not None
    api = httpx.Client(base_url=wallet_server.url, timeout=60)
    owner, contributor = api_user(api, "bw-owner"), api_user(api, "bw-contrib")
    body = {
        "datasetName": "Wallet review",
        "description": "d",
        "labels": ["cat", "dog"],
        "review_policy": {"x": 1},
    }
    created = api.post("/api/dataset", json=body, headers=owner)
    assert created.status_code == 201, created.text
    ds, address = created.json()["new_dataset"]["id"], created.json()["new_dataset"]["address"]
    sent = api.post(
        f"/api/dataset/{ds}/items", params={"label": "dog"}, content=picture_png(7), headers=contributor
    )
    assert sent.status_code == 201, sent.text
    sha = sent.json()["item"]["content_hash"]

    wallet = StubWallet(wallet_server)
    visit = Visit(chromium, wallet_server.url, DESKTOP, "desktop")
    page = visit.page
    wallet.install(visit)
    register_in_browser(page, "bw-reviewer")

    page.goto(f"/review?dataset={ds}")
    expect(page.locator("#voter-choice")).to_be_visible()
    page.check("#voter-browser")
    expect(page.locator("#voter-status")).to_contain_text(
        f"Voting with your browser wallet {wallet.account.address}"
    )
    assert len(wallet.messages) == 1 and "link this wallet to your account" in wallet.messages[0]

    # The wallet holds nothing yet: the server refuses before the wallet is asked to send, and says
    # so beside the item.
    item = page.locator(".review-item", has=page.locator(f'input[value="{sha}"]'))
    item.locator("button[value='approve']").click()
    expect(item.locator("[role=alert]")).to_contain_text("holds 0 ETH")
    assert wallet.sent == []
    expect(item.locator("button[value='approve']")).to_be_enabled()

    services.link.fund(wallet.account.address)  # the operator's play money, as tests fund wallets
    item.locator("button[value='approve']").click()
    page.wait_for_url(f"**/review?dataset={ds}&done=vote")
    expect(page.locator(".alert-success")).to_contain_text("Your vote is in.")
    assert len(wallet.sent) == 1 and wallet.sent[0]["to"] == services.handle.reviews.require_review(address)
    ballot = services.handle.reviews.ballot(address, sha, 0, wallet.account.address)
    assert ballot.state is BallotState.APPROVE
    assert api.get(f"/api/dataset/{ds}/items/{sha}").json()["item"]["status"] == "approved"  # the database
    claim = page.locator(".claims li", has=page.locator(f'input[value="{sha}"]'))
    expect(claim).to_contain_text("0.001 ETH")
    visit.shot("review-browser-wallet")

    page.goto(f"/datasets/{ds}")
    expect(page.locator(".thumb .badge")).to_have_text("Approved")

    # The claim goes through the wallet that holds the ballot, whatever the choice above says.
    page.goto(f"/review?dataset={ds}")
    page.check("#voter-server")
    before = services.handle.ledger.balance(wallet.account.address)
    page.locator(".claims li", has=page.locator(f'input[value="{sha}"]')).locator("button").click()
    page.wait_for_url(f"**/review?dataset={ds}&done=claim")
    expect(page.locator(".alert-success")).to_contain_text("Claimed")
    assert len(wallet.sent) == 2
    assert services.handle.ledger.balance(wallet.account.address) > before
    expect(page.locator("#claims-title + p")).to_have_text("Nothing to claim.")
    visit.close()

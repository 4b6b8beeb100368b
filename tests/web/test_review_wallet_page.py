"""/review for a reviewer who votes only with a browser wallet: no custodial wallet, yet the queue
shows, the page offers the browser wallet alone, and the server's own vote path says why it cannot."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from sebrus.db.models import User, Wallet, WalletKind
from sebrus.platform import ChainServices
from tests.support.images import png
from tests.support.web import PASSWORD, api_user, browser, csrf_from, register


def test_a_reviewer_without_a_custodial_wallet_still_gets_the_queue(
    app: FastAPI, services: ChainServices
) -> None:
    api = TestClient(app)
    owner, contributor = api_user(TestClient(app), "nc-owner"), api_user(TestClient(app), "nc-contrib")
    body = {"datasetName": "nc-pets", "description": "d", "labels": ["cat", "dog"], "review_policy": {"x": 1}}
    ds = api.post("/api/dataset", json=body, headers=owner).json()["new_dataset"]["id"]
    sent = api.post(
        f"/api/dataset/{ds}/items", params={"label": "cat"}, content=png(4242), headers=contributor
    )
    assert sent.status_code == 201, sent.text
    sha = sent.json()["item"]["content_hash"]

    reviewer = browser(app)
    name = register(reviewer)
    external = Account.create()
    with app.state.platform.session_factory() as db:
        user = db.scalar(select(User).where(User.username == name))
        assert user is not None
        db.execute(delete(Wallet).where(Wallet.user_id == user.id, Wallet.kind == WalletKind.CUSTODIAL))
        db.commit()
    session = api.post("/api/session", json={"username": name, "password": PASSWORD}).json()["session"]
    auth = {"Authorization": f"Bearer {session['token']}"}
    challenge = api.post("/api/wallets/challenge", json={"address": external.address}, headers=auth).json()
    signature = external.sign_message(encode_defunct(text=challenge["challenge"]["message"])).signature.hex()
    linked = api.post(
        "/api/wallets/link",
        json={"nonce": challenge["challenge"]["nonce"], "signature": "0x" + signature},
        headers=auth,
    )
    assert linked.status_code == 201, linked.text

    page = reviewer.get(f"/review?dataset={ds}")
    assert page.status_code == 200, page.text
    assert sha in page.text and "Nothing waiting for your vote here." not in page.text
    assert 'id="voter-server" disabled' in page.text and "you have none" in page.text
    assert 'id="voter-browser" checked' in page.text
    assert f'data-chain-id="{services.handle.ledger.chain_id}"' in page.text
    assert '<script src="/static/js/review_wallet.js" defer></script>' in page.text

    # Without JavaScript the form reaches the server, which has no key to sign with, and says so.
    refused = reviewer.post(
        "/review/vote",
        data={"csrf_token": csrf_from(page.text), "dataset": str(ds), "sha256": sha, "side": "approve"},
    )
    assert refused.status_code == 403 and "custodial wallet" in refused.text

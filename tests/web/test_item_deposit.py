"""A web-only contributor pays their item's review deposit from the item's page, which opens the item to
votes, and takes it back once the item is approved; nobody else gets the buttons or can use the forms."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.chain.review_types import ItemReview
from sebrus.db.models import Dataset, Item
from sebrus.platform import ChainServices
from tests.support.images import png
from tests.support.web import browser, csrf_from, register

PASSWORD = "a long passphrase"
DEPOSIT = 3 * 10**15  # shown as 0.003 ETH
STAKE = 10**15
PAY_BUTTON = "Pay the deposit (0.003 ETH)"
TAKE_BACK = "Take back the deposit"


def _owner(app: FastAPI, name: str) -> dict[str, str]:
    client = TestClient(app)
    assert client.post("/api/user", json={"username": name, "password": PASSWORD}).status_code == 201
    session = client.post("/api/session", json={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def _dataset(app: FastAPI, owner: dict[str, str], name: str, policy: dict[str, int]) -> int:
    body = {"datasetName": name, "description": "d", "labels": ["cat", "dog"], "review_policy": policy}
    created = TestClient(app).post("/api/dataset", json=body, headers=owner)
    assert created.status_code == 201, created.text
    return int(created.json()["new_dataset"]["id"])


def _contribute(client: TestClient, dataset_id: int, seed: int) -> int:
    """Upload one image through the Contribute page's form (no JavaScript, no API) and return its id."""
    page = client.get(f"/contribute?dataset={dataset_id}")
    done = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "cat"},
        files=[("files", ("cat.png", png(seed), "image/png"))],
    )
    assert done.status_code == 200, done.text
    link = re.search(r'href="/items/(\d+)"', done.text)
    assert link is not None, done.text
    return int(link.group(1))


def _item(app: FastAPI, item_id: int) -> tuple[Dataset, Item]:
    with app.state.platform.session_factory() as db:
        item = db.get(Item, item_id)
        assert item is not None
        dataset = db.get(Dataset, item.dataset_id)
        assert dataset is not None
        db.expunge_all()
    return dataset, item


def _review(services: ChainServices, dataset: Dataset, item: Item) -> ItemReview:
    reviews = services.link.reviews
    assert reviews is not None
    return reviews.item_review(dataset.address, item.content_hash)


def _vote(client: TestClient, dataset_id: int, sha: str) -> int:
    token = csrf_from(client.get(f"/review?dataset={dataset_id}").text)
    data = {"csrf_token": token, "dataset": str(dataset_id), "sha256": sha, "side": "approve"}
    return client.post("/review/vote", data=data).status_code


def test_the_contributor_pays_the_deposit_then_takes_it_back_after_approval(
    app: FastAPI, services: ChainServices
) -> None:
    owner = _owner(app, "dep-owner")
    ds = _dataset(app, owner, "dep-pets", {"x": 1, "stake_wei": STAKE, "deposit_wei": DEPOSIT})
    contributor, outsider, reviewer = browser(app), browser(app), browser(app)
    register(contributor), register(outsider), register(reviewer)
    item_id = _contribute(contributor, ds, 1200)
    dataset, item = _item(app, item_id)
    ledger = services.handle.ledger
    wallet = item.contributor_address

    page = contributor.get(f"/items/{item_id}")
    assert page.status_code == 200, page.text
    assert PAY_BUTTON in page.text and f'action="/items/{item_id}/deposit"' in page.text
    assert "it is not paid yet, so the item cannot be voted on" in page.text
    assert _vote(reviewer, ds, item.content_hash) == 409  # DepositRequired: nobody can vote yet
    due = f'<a class="deposit-due" href="/items/{item_id}">deposit due</a>'
    assert due in contributor.get("/profile").text

    # Someone else sees the state but no button, and a forged form is refused by the service.
    theirs = outsider.get(f"/items/{item_id}").text
    assert "it is not paid yet" in theirs and PAY_BUTTON not in theirs
    forged = outsider.post(f"/items/{item_id}/deposit", data={"csrf_token": csrf_from(theirs)})
    assert forged.status_code == 403 and "contributor pays its deposit" in forged.text
    assert "NotContributor" not in forged.text  # a sentence, not the contract's error name
    assert PAY_BUTTON not in forged.text
    no_token = contributor.post(f"/items/{item_id}/deposit", data={})
    assert no_token.status_code == 403
    assert not _review(services, dataset, item).deposit_paid  # nothing was sent for either

    before = ledger.balance(wallet)
    paid = contributor.post(f"/items/{item_id}/deposit", data={"csrf_token": csrf_from(page.text)})
    assert paid.status_code == 303, paid.text
    assert paid.headers["location"] == f"/items/{item_id}?done=deposit"
    assert before - ledger.balance(wallet) >= DEPOSIT
    assert _review(services, dataset, item).deposit_paid
    after = contributor.get(paid.headers["location"]).text
    assert "Deposit paid: the item is open to review." in after
    assert "The contributor's deposit of 0.003 ETH is paid." in after
    assert PAY_BUTTON not in after and TAKE_BACK not in after  # not refundable before approval
    assert due not in contributor.get("/profile").text
    twice = contributor.post(f"/items/{item_id}/deposit", data={"csrf_token": csrf_from(after)})
    assert twice.status_code == 409 and "deposit is already paid" in twice.text

    assert _vote(reviewer, ds, item.content_hash) == 303
    approved = contributor.get(f"/items/{item_id}").text
    assert "it can be taken back" in approved and TAKE_BACK in approved
    assert TAKE_BACK not in outsider.get(f"/items/{item_id}").text
    stolen = outsider.post(f"/items/{item_id}/deposit/claim", data={"csrf_token": csrf_from(theirs)})
    assert stolen.status_code == 403 and "contributor claims its deposit" in stolen.text

    before_refund = ledger.balance(wallet)
    taken = contributor.post(f"/items/{item_id}/deposit/claim", data={"csrf_token": csrf_from(approved)})
    assert taken.status_code == 303, taken.text
    gained = ledger.balance(wallet) - before_refund
    assert DEPOSIT - 10**15 < gained < DEPOSIT  # the deposit back, less the claim's gas
    settled = contributor.get(taken.headers["location"]).text
    assert "Deposit taken back: it is in your wallet." in settled
    assert "is settled: it was refunded" in settled and TAKE_BACK not in settled
    again = contributor.post(f"/items/{item_id}/deposit/claim", data={"csrf_token": csrf_from(settled)})
    assert again.status_code == 409 and "already refunded" in again.text


def test_no_deposit_asked_means_no_deposit_line_and_the_form_is_refused(
    app: FastAPI, services: ChainServices
) -> None:
    owner = _owner(app, "dep0-owner")
    ds = _dataset(app, owner, "dep0-pets", {"x": 1})
    contributor = browser(app)
    register(contributor)
    item_id = _contribute(contributor, ds, 1201)
    page = contributor.get(f"/items/{item_id}").text
    assert 'id="deposit-state"' not in page and PAY_BUTTON not in page
    assert "deposit due" not in contributor.get("/profile").text
    refused = contributor.post(f"/items/{item_id}/deposit", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 409 and "policy asks for no deposit" in refused.text
    missing = contributor.post("/items/987654/deposit", data={"csrf_token": csrf_from(page)})
    assert missing.status_code == 404

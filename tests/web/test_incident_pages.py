"""Incident state on the pages: a revoked contributor's uncleared items read "Held" with the reason on the
dataset and item pages (the chain still says Approved, but no release will contain them); a cleared item
and a reinstated contributor's item say so."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.platform import Auth, create_dataset, login, review_path, upload
from tests.support.web import browser

REASON = "uploads digits with a trigger patch"


def _wallet(client: TestClient, auth: Auth) -> str:
    wallets = client.get("/api/wallets", headers=auth).json()["wallets"]
    return str(next(w["address"] for w in wallets if w["kind"] == "custodial"))


def _approve(client: TestClient, reviewer: Auth, dataset_id: int, sha: str) -> None:
    voted = client.post(
        review_path(dataset_id, "items", sha, "vote"), json={"approve": True}, headers=reviewer
    )
    assert voted.status_code == 200, voted.text


def _thumb(page: str, dataset_id: int, sha: str) -> tuple[int, str]:
    """The item id and the markup of the thumbnail showing ``sha`` on a dataset page."""
    found = re.search(
        rf'<li class="thumb">\s*<a href="/items/(\d+)">\s*'
        rf'<img src="/api/dataset/{dataset_id}/items/{sha}/image".*?</li>',
        page,
        re.S,
    )
    assert found is not None, f"no thumbnail of {sha}"
    return int(found.group(1)), found.group(0)


def test_held_cleared_and_reinstated_items_say_so_on_the_dataset_and_item_pages(app: FastAPI) -> None:
    client = browser(app)
    owner, alice, mallory, carol, reviewer = (
        login(client, f"incident-{n}") for n in ("owner", "alice", "mallory", "carol", "reviewer")
    )
    dataset = create_dataset(client, owner, "incident pages", {"x": 1, "stake_wei": 10**12})
    ds = int(dataset["id"])
    clean = upload(client, alice, ds, 401)
    held, cleared = (upload(client, mallory, ds, seed) for seed in (402, 403))
    lifted = upload(client, carol, ds, 404)
    for sha in (clean, held, cleared, lifted):
        _approve(client, reviewer, ds, sha)

    for who in (mallory, carol):
        body = {"contributor": _wallet(client, who), "reason": REASON}
        revoked = client.post(f"/api/dataset/{ds}/revocations", json=body, headers=owner)
        assert revoked.status_code == 201, revoked.text
    base = f"/api/dataset/{ds}/revocations"
    done = client.post(
        f"{base}/{_wallet(client, mallory)}/clear", json={"items": [cleared], "note": "clean"}, headers=owner
    )
    assert done.status_code == 200, done.text
    done = client.post(
        f"{base}/{_wallet(client, carol)}/reinstate", json={"reason": "false alarm"}, headers=owner
    )
    assert done.status_code == 200, done.text

    anyone = browser(app)
    page = anyone.get(f"/datasets/{ds}").text
    held_id, held_thumb = _thumb(page, ds, held)
    assert '<span class="badge badge-held">Held</span>' in held_thumb and REASON in held_thumb
    assert "badge-approved" not in held_thumb  # not plain "Approved": no release will contain it
    _, cleared_thumb = _thumb(page, ds, cleared)
    assert "badge-approved" in cleared_thumb and "badge-cleared" in cleared_thumb
    assert "the owner released this item" in cleared_thumb
    lifted_id, lifted_thumb = _thumb(page, ds, lifted)
    assert "badge-reinstated" in lifted_thumb and "no longer held" in lifted_thumb
    _, clean_thumb = _thumb(page, ds, clean)
    assert "badge-approved" in clean_thumb and "badge-held" not in clean_thumb and REASON not in clean_thumb

    item_page = anyone.get(f"/items/{held_id}").text
    heading = re.search(r"<h1>.*?</h1>", item_page, re.S)
    assert heading is not None and "Held" in heading.group(0) and "badge-approved" not in heading.group(0)
    assert 'id="hold"' in item_page and REASON in item_page and "Approved on chain" in item_page
    assert "Contributor reinstated" in anyone.get(f"/items/{lifted_id}").text

"""Blind review: until an item is decided, a third reviewer finds neither the contributor's username nor
their wallet address in any API answer or page about it; the owner and the contributor still do, and
everyone does once the item is decided."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.platform import Auth, create_dataset, login, review_path, upload
from tests.support.web import PASSWORD, browser, register


def _bearer(client: TestClient, username: str) -> Auth:
    session = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert session.status_code == 201, session.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def _wallet(client: TestClient, auth: Auth) -> str:
    wallets = client.get("/api/wallets", headers=auth).json()["wallets"]
    return str(next(w["address"] for w in wallets if w["kind"] == "custodial"))


def _item_id(client: TestClient, dataset_id: int, sha: str) -> int:
    return int(client.get(f"/api/dataset/{dataset_id}/items/{sha}").json()["item"]["id"])


def _bodies(
    client: TestClient, auth: Auth, pages: TestClient, dataset_id: int, sha: str, address: str
) -> dict[str, str]:
    """Every reviewer-facing answer about the item (API with a bearer token, pages with the cookie)."""
    item_id = _item_id(client, dataset_id, sha)
    return {
        "queue": client.get(review_path(dataset_id, "queue"), headers=auth).text,
        "items": client.get(f"/api/dataset/{dataset_id}/items", headers=auth).text,
        "items by contributor": client.get(
            f"/api/dataset/{dataset_id}/items", params={"contributor": address}, headers=auth
        ).text,
        "item": client.get(f"/api/dataset/{dataset_id}/items/{sha}", headers=auth).text,
        "votes": client.get(review_path(dataset_id, "items", sha, "votes"), headers=auth).text,
        "dataset page": pages.get(f"/datasets/{dataset_id}").text,
        "dataset page by contributor": pages.get(
            f"/datasets/{dataset_id}", params={"contributor": address}
        ).text,
        "item page": pages.get(f"/items/{item_id}").text,
    }


def test_a_third_reviewer_never_sees_who_contributed_a_pending_item(app: FastAPI) -> None:
    api = TestClient(app)
    owner = login(api, "blindowner")
    contributor = login(api, "bobcontrib")
    dataset_id = int(create_dataset(api, owner, "blind", {"x": 2, "stake_wei": 10**15})["id"])
    sha = upload(api, contributor, dataset_id, 901)
    address = _wallet(api, contributor)

    pages = browser(app)  # the third reviewer, signed in on the pages with a cookie
    register(pages, "thirdeye")
    reviewer = _bearer(TestClient(app), "thirdeye")

    answers = _bodies(api, reviewer, pages, dataset_id, sha, address)
    for where, body in answers.items():
        assert "bobcontrib" not in body, f"{where} names the contributor"
        if "by contributor" in where:  # the filter echoes the address the reviewer typed, and finds nothing
            assert sha not in body, f"{where} lists the pending item under its contributor"
            continue
        assert sha in body, f"{where} does not show the item at all"
        assert address.lower() not in body.lower(), f"{where} shows the contributor's wallet"
    assert "contributor hidden until decided" in answers["dataset page"]

    # The owner and the contributor still see who contributed it.
    for who in (owner, contributor):
        assert api.get(f"/api/dataset/{dataset_id}/items/{sha}", headers=who).json()["item"][
            "contributor"
        ] == (address)
        assert address in api.get(review_path(dataset_id, "items", sha, "votes"), headers=who).text
    assert (
        api.get(f"/api/dataset/{dataset_id}/items", params={"contributor": address}, headers=owner).json()[
            "total"
        ]
        == 1
    )

    # Decided: the vote is over, and the contributor is shown to everyone.
    for name in ("blindvoter1", "blindvoter2"):
        voted = api.post(
            review_path(dataset_id, "items", sha, "vote"), json={"approve": True}, headers=login(api, name)
        )
        assert voted.status_code == 200, voted.text
        if voted.json()["item"]["status"] != "approved":
            assert address.lower() not in voted.text.lower(), "a vote's receipt names the contributor"
    decided = api.get(f"/api/dataset/{dataset_id}/items/{sha}", headers=reviewer).json()["item"]
    assert decided["status"] == "approved" and decided["contributor"] == address
    assert "bobcontrib" in pages.get(f"/datasets/{dataset_id}").text

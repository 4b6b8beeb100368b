from __future__ import annotations

import pytest

from sebrus.services import datasets as datasets_service
from tests.support.api import assert_error

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER_ADDRESS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def _create(person, **overrides):
    body = {"datasetName": "cats", "description": "Photos of cats", "address": ADDRESS, **overrides}
    return person.post("/api/dataset", json=body)


def test_create_returns_prototype_envelope_and_checksums_address(alice):
    response = _create(alice, address=ADDRESS.lower(), labels=["cat", "dog"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "New dataset created."
    dataset = body["new_dataset"]
    assert dataset["datasetName"] == "cats" and dataset["description"] == "Photos of cats"
    assert dataset["address"] == ADDRESS and dataset["owner_id"] == alice.user_id
    assert dataset["owner"] == alice.username  # people read names; the id stays for scripts
    assert dataset["labels"] == ["cat", "dog"] and dataset["max_bytes"] == 10 * 1024 * 1024
    roles = alice.get(f"/api/dataset/{dataset['id']}/roles").json()["roles"]
    assert roles == [{"user_id": alice.user_id, "role": "owner"}]


def test_create_requires_login(client):
    assert_error(
        client.post("/api/dataset", json={"datasetName": "x", "description": "", "address": ADDRESS}),
        401,
        "Not logged in",
    )


def test_create_missing_fields_are_named(alice):
    body = assert_error(alice.post("/api/dataset", json={"datasetName": "x"}), 400, "`description`")
    assert "`address`" in body["status"] and "`datasetName`" not in body["status"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"address": "0x123"}, "Ethereum address"),
        ({"address": "not an address at all"}, "Ethereum address"),
        ({"address": ADDRESS[:-1] + ("A" if ADDRESS[-1] != "A" else "B")}, "checksum"),
        ({"datasetName": "   "}, "`datasetName`"),
        ({"datasetName": "x" * 129}, "`datasetName`"),
        ({"labels": ["cat", "cat"]}, "repeat"),
        ({"labels": [" cat"]}, "label"),
        ({"max_bytes": 0}, "`max_bytes`"),
        ({"min_width": 100, "max_width": 10}, "`min_width`"),
        ({"min_height": 0}, "height"),
    ],
)
def test_create_validation(alice, overrides, fragment):
    assert_error(_create(alice, **overrides), 400, fragment)
    assert alice.get("/api/dataset").json()["total"] == 0


def test_create_wrong_types_are_422(alice):
    assert_error(_create(alice, labels="cat"), 422, "labels")
    assert_error(_create(alice, max_bytes="big"), 422, "max_bytes")


def test_duplicates_are_409(alice, bob):
    assert _create(alice).status_code == 201
    assert_error(_create(bob, address=OTHER_ADDRESS), 409, "Dataset already exists.")  # same name
    assert_error(_create(bob, datasetName="dogs", address=ADDRESS.lower()), 409, "Dataset already exists.")


def test_read_includes_compat_user_key(client, alice):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    response = client.get(f"/api/dataset/{dataset_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Success." and body["dataset"] == body["user"]
    assert body["dataset"]["address"] == ADDRESS
    assert_error(client.get("/api/dataset/999"), 404, "Dataset not found.")
    assert_error(client.get("/api/dataset/x"), 422, "dataset_id")


def test_list_paginates_and_filters(client, alice, bob):
    for i in range(3):
        _create(alice, datasetName=f"a{i}", address=f"0x{i + 1:040x}")
    _create(bob, datasetName="b0", address=OTHER_ADDRESS)
    everything = client.get("/api/dataset").json()
    assert everything["total"] == 4 and [d["datasetName"] for d in everything["datasets"]] == [
        "a0",
        "a1",
        "a2",
        "b0",
    ]
    page = client.get("/api/dataset", params={"limit": 2, "offset": 1}).json()
    assert [d["datasetName"] for d in page["datasets"]] == ["a1", "a2"] and page["limit"] == 2
    mine = client.get("/api/dataset", params={"owner_id": bob.user_id}).json()
    assert [d["datasetName"] for d in mine["datasets"]] == ["b0"]
    assert [d["owner"] for d in everything["datasets"]] == [alice.username] * 3 + [bob.username]
    one = client.get(f"/api/dataset/{mine['datasets'][0]['id']}").json()["dataset"]
    assert one["owner"] == bob.username
    assert_error(client.get("/api/dataset", params={"limit": 101}), 422, "limit")
    assert_error(client.get("/api/dataset", params={"offset": -1}), 422, "offset")


def test_update_matrix(client, alice, bob):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    assert_error(client.put(f"/api/dataset/{dataset_id}", json={"description": "x"}), 401, "Not logged in")
    assert_error(bob.put(f"/api/dataset/{dataset_id}", json={"description": "x"}), 403, "owner")
    response = alice.put(
        f"/api/dataset/{dataset_id}",
        json={"datasetName": "kittens", "description": "new", "address": ADDRESS.lower()},
    )
    assert response.status_code == 200, response.text
    assert response.json()["dataset"]["datasetName"] == "kittens"
    assert response.json()["dataset"]["description"] == "new"
    assert_error(alice.put(f"/api/dataset/{dataset_id}", json={"address": OTHER_ADDRESS}), 400, "fixed")
    assert_error(alice.put("/api/dataset/999", json={"description": "x"}), 404, "Dataset not found.")


def test_the_owner_states_a_licence_and_a_citation_and_a_bad_one_changes_nothing(client, alice, bob):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    url = f"/api/dataset/{dataset_id}"
    assert client.get(url).json()["dataset"]["license"] is None
    assert_error(bob.put(url, json={"license": "MIT"}), 403, "owner")
    citation = "@misc{cats,\n  title = {Cats}\n}"
    response = alice.put(url, json={"license": "CC-BY-4.0", "cite_as": citation})
    assert response.status_code == 200, response.text
    assert (response.json()["dataset"]["license"], response.json()["dataset"]["cite_as"]) == (
        "CC-BY-4.0",
        citation,
    )

    assert_error(alice.put(url, json={"license": "free for all!", "description": "changed"}), 400, "SPDX")
    assert_error(alice.put(url, json={"cite_as": "bell\x07"}), 400, "control characters")
    assert_error(alice.put(url, json={"license": "https://"}), 400, "URL")
    kept = client.get(url).json()["dataset"]
    assert (kept["license"], kept["cite_as"], kept["description"]) == (
        "CC-BY-4.0",
        citation,
        "Photos of cats",
    )

    cleared = alice.put(url, json={"license": "", "cite_as": " "}).json()["dataset"]
    assert (cleared["license"], cleared["cite_as"]) == (None, None)
    url_licence = "https://example.org/licence.html"
    assert alice.put(url, json={"license": url_licence}).json()["dataset"]["license"] == url_licence


def test_delete_matrix(client, alice, bob):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    assert_error(client.delete(f"/api/dataset/{dataset_id}"), 401, "Not logged in")
    assert_error(bob.delete(f"/api/dataset/{dataset_id}"), 403, "owner")
    assert alice.delete(f"/api/dataset/{dataset_id}").json() == {"status": "Dataset deleted."}
    assert_error(client.get(f"/api/dataset/{dataset_id}"), 404, "Dataset not found.")


def test_dataset_outlives_its_owner_account(client, alice):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    deleted = alice.delete(f"/api/user/{alice.user_id}", json={"current_password": alice.password})
    assert deleted.status_code == 200, deleted.text
    dataset = client.get(f"/api/dataset/{dataset_id}").json()["dataset"]
    assert dataset["owner_id"] is None


def test_roles_matrix(client, alice, bob):
    dataset_id = _create(alice).json()["new_dataset"]["id"]
    url = f"/api/dataset/{dataset_id}/roles/{bob.user_id}/reviewer"
    assert_error(client.put(url), 401, "Not logged in")
    assert_error(bob.put(url), 403, "owner")
    granted = alice.put(url)
    assert granted.status_code == 200
    assert {"user_id": bob.user_id, "role": "reviewer"} in granted.json()["roles"]
    assert_error(alice.put(f"/api/dataset/{dataset_id}/roles/{bob.user_id}/owner"), 400, "Ownership")
    assert_error(alice.put(f"/api/dataset/{dataset_id}/roles/{bob.user_id}/king"), 422, "role")
    assert_error(alice.put(f"/api/dataset/{dataset_id}/roles/999/reviewer"), 404, "User not found.")
    assert alice.delete(url).json() == {"status": "Role revoked."}
    assert_error(alice.delete(url), 404, "does not hold")


def test_dataset_creation_is_rate_limited_per_user(app, alice, bob):
    """Each creation deploys contracts (seconds of chain time): past the hourly limit, 429 with
    Retry-After and nothing stored; a request refused for its own content does not count."""
    app.state.platform.dataset_limiter = datasets_service.creation_limiter(2)
    addresses = [f"0x{n:040x}" for n in range(1, 5)]
    assert _create(alice, datasetName="bad", address="0x123").status_code == 400  # not counted
    for n in range(2):
        assert _create(alice, datasetName=f"d{n}", address=addresses[n]).status_code == 201
    refused = assert_error(_create(alice, datasetName="d2", address=addresses[2]), 429, "at most 2 an hour")
    assert refused["status"].startswith("Too many new datasets")
    again = _create(alice, datasetName="d2", address=addresses[2])
    assert 0 < int(again.headers["Retry-After"]) <= 3601
    assert [d["datasetName"] for d in alice.get("/api/dataset").json()["datasets"]] == ["d0", "d1"]
    assert _create(bob, datasetName="bobs", address=addresses[3]).status_code == 201  # per user

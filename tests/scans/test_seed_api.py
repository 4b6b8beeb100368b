"""The seed set over HTTP: given at creation or later, as files or picked items, checked before anything
is created, and visible to the owner only; plus the scan endpoints' refusals."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests.support.platform import Platform, login
from tests.support.poisoned_digits import b64, make
from tests.support.scans import wait_for_scan


def test_a_bad_seed_image_refuses_the_dataset_before_it_is_created(platform: Platform) -> None:
    client, services = platform
    owner = login(client, "owner")
    blocks = services.handle.ledger.block_number()
    digit = make(n_classes=2, per_class=1, seed_per_class=1, rate=0.5).seed[0][1]
    cases = [
        ({"label": "horse", "data": b64(digit)}, "not in the dataset's label set"),
        ({"label": "cat", "data": "not base64!"}, "base64"),
        ({"label": "cat", "data": b64(b"GIF89a but not really")}, "seed image 0"),
    ]
    for seed, message in cases:
        body = {"datasetName": "pets", "description": "d", "labels": ["cat", "dog"], "seed": [seed]}
        refused = client.post("/api/dataset", json=body, headers=owner)
        assert refused.status_code == 400 and message in refused.json()["status"], refused.text
    assert client.get("/api/dataset").json()["total"] == 0
    assert services.handle.ledger.block_number() == blocks  # nothing was sent to the chain


def test_the_seed_set_is_the_owners_and_takes_files_or_existing_items(platform: Platform) -> None:
    client, _ = platform
    owner, other = login(client, "owner"), login(client, "other")
    data = make(n_classes=2, per_class=3, seed_per_class=2, rate=0.3)
    body = {
        "datasetName": "digits",
        "description": "d",
        "labels": data.labels,
        "seed": [{"label": label, "data": b64(png)} for label, png in data.seed[:2]],
    }
    dataset_id = client.post("/api/dataset", json=body, headers=owner).json()["new_dataset"]["id"]
    seed_url = f"/api/dataset/{dataset_id}/seed"
    assert client.get(seed_url, headers=owner).json()["total"] == 2
    assert client.get(seed_url, headers=other).status_code == 403
    assert client.get(seed_url).status_code == 401
    extra = {"images": [{"label": data.seed[2][0], "data": b64(data.seed[2][1])}]}
    assert client.post(seed_url, json=extra, headers=other).status_code == 403

    upload = data.honest[0]
    item = client.post(
        f"/api/dataset/{dataset_id}/items", params={"label": upload.label}, content=upload.png, headers=other
    )
    assert item.status_code == 201, item.text
    sha = item.json()["item"]["content_hash"]
    added = client.post(seed_url, json={**extra, "items": [sha]}, headers=owner)
    assert added.status_code == 201, added.text
    assert {(s["sha256"], s["source"]) for s in added.json()["added"]} == {
        (hashlib.sha256(data.seed[2][1]).hexdigest(), "upload"),
        (sha, "item"),
    }
    again = client.post(seed_url, json={**extra, "items": [sha]}, headers=owner)
    assert again.json()["added"] == [] and again.json()["total"] == 4  # idempotent
    unknown = client.post(seed_url, json={"items": ["0" * 64]}, headers=owner)
    assert unknown.status_code == 404
    malformed = client.post(seed_url, json={"items": ["../../etc/passwd"]}, headers=owner)
    assert malformed.status_code == 400 and "sha256" in malformed.json()["status"]

    assert client.delete(f"{seed_url}/{sha}", headers=owner).status_code == 200
    assert sha not in {s["sha256"] for s in client.get(seed_url, headers=owner).json()["seed"]}
    assert client.delete(f"{seed_url}/{sha}", headers=owner).status_code == 404


def test_scan_endpoints_refuse_bad_requests_by_name(platform: Platform) -> None:
    client: TestClient = platform[0]
    owner = login(client, "owner")
    created = client.post(
        "/api/dataset", json={"datasetName": "x", "description": "d", "labels": ["a", "b"]}, headers=owner
    )
    dataset_id = created.json()["new_dataset"]["id"]
    bad = client.post(f"/api/dataset/{dataset_id}/scans", json={"fpr": 0.9}, headers=owner)
    assert bad.status_code == 422 and "fpr" in bad.json()["status"]
    scope = client.post(f"/api/dataset/{dataset_id}/scans", json={"scope": "some"}, headers=owner)
    assert scope.status_code == 422 and "scope" in scope.json()["status"]
    assert client.post(f"/api/dataset/{dataset_id}/scans", json={}).status_code == 401
    assert client.post("/api/dataset/999/scans", json={}, headers=owner).status_code == 404
    assert client.get("/api/scans/999").status_code == 404
    assert client.get(f"/api/scans/{2**70}").status_code == 422  # no row, and no database overflow
    assert client.get("/api/scans/999/report.json").status_code == 404

    empty = client.post(f"/api/dataset/{dataset_id}/scans", headers=owner)  # no body: the defaults
    assert empty.status_code == 202, empty.text
    scan_id = empty.json()["scan"]["id"]
    finished = wait_for_scan(client, scan_id, timeout=30)
    assert finished["state"] == "done" and finished["insufficient_data"]
    assert "Not enough data" in finished["message"]
    missing = client.get(f"/api/scans/{scan_id}/report.html")
    assert missing.status_code == 404 and "no report" in missing.json()["status"]
    listed = client.get(f"/api/dataset/{dataset_id}/scans").json()
    assert [s["id"] for s in listed["scans"]] == [scan_id] and listed["total"] == 1

"""``/api/dataset/{id}/scan-model`` on the whole platform: the owner uploads a model (raw body, size
capped while it streams), refusals are 4xx naming the problem with nothing stored, and a scan on the
server then runs with that model and its report names it by sha256."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterator

import pytest

from sebrus.blobs.base import BlobStore
from sebrus.services.scans import model as scan_model
from tests.support.models import net, safetensors_bytes, torchscript_bytes
from tests.support.platform import Platform, login
from tests.support.poisoned_digits import make
from tests.support.scans import seeded_dataset, upload_all, wait_for_scan


def blobs_of(platform: Platform) -> BlobStore:
    client, _ = platform
    blobs = client.app.state.platform.blobs  # type: ignore[attr-defined]
    assert isinstance(blobs, BlobStore)
    return blobs


def test_the_owner_uploads_a_model_and_a_scan_runs_with_it(platform: Platform) -> None:
    client, _ = platform
    blobs = blobs_of(platform)
    owner, other = login(client, "owner"), login(client, "other")
    data = make(n_classes=2, per_class=15, seed_per_class=5, rate=0.1, seed=3)
    dataset_id = seeded_dataset(client, owner, data)
    upload_all(client, dataset_id, [(owner, data.honest + data.malicious)])
    url = f"/api/dataset/{dataset_id}/scan-model"

    current = client.get(url).json()["scan_model"]
    assert (current["source"], current["sha256"], current["classes"]) == ("reference", None, data.labels)

    model = torchscript_bytes(net(n_classes=2))
    sha = hashlib.sha256(model).hexdigest()
    assert client.put(url, content=model).status_code == 401
    refused = client.put(url, content=model, headers=other)
    assert refused.status_code == 403 and "owner" in refused.json()["status"]
    evil = pickle.dumps({"weights": [1, 2, 3]})
    refused = client.put(url, content=evil, headers=owner)
    assert refused.status_code == 400 and "pickle" in refused.json()["status"], refused.text
    assert not blobs.exists(hashlib.sha256(evil).hexdigest())
    wrong = safetensors_bytes(net(n_classes=3))
    refused = client.put(url, content=wrong, headers=owner)
    assert refused.status_code == 400 and "3 output classes, the data has 2" in refused.json()["status"]
    assert not blobs.exists(hashlib.sha256(wrong).hexdigest())
    assert not blobs.exists(sha)
    assert client.get(url).json()["scan_model"]["source"] == "reference"

    taken = client.put(url, content=model, params={"filename": "mine.pt"}, headers=owner)
    assert taken.status_code == 200, taken.text
    body = taken.json()["scan_model"]
    assert (body["source"], body["sha256"], body["format"], body["name"]) == (
        "uploaded",
        sha,
        "torchscript",
        "mine.pt",
    )
    assert body["n_classes"] == 2 and "grayscale" in body["checked_on"] and blobs.get(sha) == model
    assert client.get(url).json()["scan_model"]["sha256"] == sha

    started = client.post(f"/api/dataset/{dataset_id}/scans", json={}, headers=owner)
    assert started.status_code == 202, started.text
    assert started.json()["scan"]["model_sha256"] == sha
    scan = wait_for_scan(client, started.json()["scan"]["id"])
    assert scan["state"] == "done", scan["error"]
    report = client.get(f"/api/scans/{scan['id']}/report.json")
    assert hashlib.sha256(report.content).hexdigest() == scan["report_sha256"]
    summary = json.loads(report.content)["summary"]
    assert (summary["model"], summary["model_sha256"]) == ("uploaded", sha)

    weights = safetensors_bytes(net(n_classes=2))
    replaced = client.put(url, content=weights, headers=owner).json()["scan_model"]
    assert replaced["format"] == "safetensors" and replaced["sha256"] == hashlib.sha256(weights).hexdigest()
    assert client.delete(url, headers=other).status_code == 403
    removed = client.delete(url, headers=owner)
    assert removed.status_code == 200 and removed.json()["scan_model"]["source"] == "reference"
    assert blobs.exists(sha)


def test_too_large_models_are_refused_while_they_stream(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = platform
    owner = login(client, "owner")
    data = make(n_classes=2, per_class=1, seed_per_class=1, rate=0.5)
    dataset_id = seeded_dataset(client, owner, data)
    url = f"/api/dataset/{dataset_id}/scan-model"
    model = torchscript_bytes(net(n_classes=2))
    monkeypatch.setattr(scan_model, "MAX_SCAN_MODEL_BYTES", len(model) - 1)
    declared = client.put(url, content=model, headers=owner)
    assert declared.status_code == 413 and "limit" in declared.json()["status"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(model), 4096):
            yield model[start : start + 4096]

    streamed = client.put(url, content=chunks(), headers=owner)
    assert streamed.status_code == 413
    assert not blobs_of(platform).exists(hashlib.sha256(model).hexdigest())
    assert client.put("/api/dataset/999/scan-model", content=model, headers=owner).status_code == 404


def test_a_cookie_session_needs_the_csrf_token(platform: Platform) -> None:
    client, _ = platform
    owner = login(client, "owner")
    data = make(n_classes=2, per_class=1, seed_per_class=1, rate=0.5)
    dataset_id = seeded_dataset(client, owner, data)
    session = client.post("/api/session", json={"username": "owner", "password": "correct horse"})
    csrf = session.json()["session"]["csrf_token"]
    url = f"/api/dataset/{dataset_id}/scan-model"
    model = torchscript_bytes(net(n_classes=2))
    refused = client.put(url, content=model)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["status"]
    assert client.delete(url).status_code == 403
    accepted = client.put(url, content=model, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200, accepted.text
    client.cookies.clear()

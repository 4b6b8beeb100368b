"""An owner uploads, replaces and removes the dataset's scan model from its page: checked against the
dataset's images before it is kept, refusals beside the file field with nothing stored, owner only."""

from __future__ import annotations

import hashlib
import pickle

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.db.models import Dataset
from tests.support.images import png
from tests.support.models import net, safetensors_bytes, torchscript_bytes
from tests.support.web import add_seed_images, browser, create_dataset, csrf_from, register


def upload(client: TestClient, dataset_id: int, name: str, data: bytes) -> httpx.Response:
    page = client.get(f"/datasets/{dataset_id}")
    return client.post(
        f"/datasets/{dataset_id}/scan-model",
        data={"csrf_token": csrf_from(page.text)},
        files=[("model_file", (name, data, "application/octet-stream"))],
    )


def model_of(app: FastAPI, dataset_id: int) -> str | None:
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, dataset_id)
        assert dataset is not None
        return dataset.scan_model_sha256


def test_an_owner_sets_and_removes_the_scan_model_from_the_dataset_page(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "own model")
    assert (
        add_seed_images(owner, dataset_id, "cat", [("a.png", png(701)), ("b.png", png(702))]).status_code
        == 303
    )
    page = owner.get(f"/datasets/{dataset_id}").text
    assert f'action="/datasets/{dataset_id}/scan-model"' in page
    assert "Scans use the reference CNN each scan trains." in page

    evil = upload(owner, dataset_id, "model.bin", pickle.dumps({"w": [1]}))
    assert evil.status_code == 400 and 'id="model_file-error"' in evil.text and "pickle" in evil.text
    grey = upload(owner, dataset_id, "grey.safetensors", safetensors_bytes(net(n_classes=2)))
    assert grey.status_code == 400 and "input channels" in grey.text
    nothing = owner.post(f"/datasets/{dataset_id}/scan-model", data={"csrf_token": csrf_from(page)}, files=[])
    assert nothing.status_code == 400 and "Choose a model file" in nothing.text
    assert model_of(app, dataset_id) is None

    model = torchscript_bytes(net(n_classes=2, channels=3))
    taken = upload(owner, dataset_id, "mine.pt", model)
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"] == f"/datasets/{dataset_id}?model=set#scan-model"
    shown = owner.get(taken.headers["location"]).text
    sha = hashlib.sha256(model).hexdigest()
    assert "Scans started from now on use your model." in shown and sha[:16] in shown and "mine.pt" in shown
    assert model_of(app, dataset_id) == sha
    assert app.state.platform.blobs.get(sha) == model

    stranger = browser(app)
    register(stranger)
    theirs = upload(stranger, dataset_id, "theirs.pt", model)
    assert theirs.status_code == 403 and "Only the dataset&#39;s owner chooses" in theirs.text
    their_page = stranger.get(f"/datasets/{dataset_id}").text
    assert f'action="/datasets/{dataset_id}/scan-model"' not in their_page and sha[:16] in their_page
    no_token = owner.post(f"/datasets/{dataset_id}/scan-model/remove", data={}, follow_redirects=False)
    assert no_token.status_code == 403 and model_of(app, dataset_id) == sha

    removed = owner.post(
        f"/datasets/{dataset_id}/scan-model/remove",
        data={"csrf_token": csrf_from(owner.get(f"/datasets/{dataset_id}").text)},
    )
    assert removed.status_code == 303 and model_of(app, dataset_id) is None
    assert "train the reference CNN" in owner.get(removed.headers["location"]).text

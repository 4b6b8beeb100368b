"""Creating a dataset costs chain time in proportion to its labels: the API and the Create form
refuse what would exceed the gas bound with 400 (it used to be a 500 from the node), say how many
labels fit, and limit how many datasets one user creates per hour (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.platform import StartPlatform, login
from tests.support.web import browser, register, submit


@pytest.fixture(scope="module")
def platform(start_platform: StartPlatform) -> Iterator[tuple[FastAPI, ChainServices]]:
    yield start_platform(dataset_creations_per_hour=3)


def labels(count: int, size: int = 32) -> list[str]:
    return [str(i).rjust(size, "x") for i in range(count)]


def test_the_api_refuses_a_label_set_no_block_can_hold_with_400(
    platform: tuple[FastAPI, ChainServices],
) -> None:
    app, services = platform
    with TestClient(app) as client:
        owner = login(client, "manylabels")
        count_before = services.handle.ledger.dataset_count()
        body = {"datasetName": "thousand", "description": "", "labels": labels(1000)}
        refused = client.post("/api/dataset", json=body, headers=owner)
        assert refused.status_code == 400, refused.text
        message = refused.json()["status"]
        assert "gas" in message and "which fits" in message and "fewer or shorter labels" in message
        assert services.handle.ledger.dataset_count() == count_before  # nothing was sent
        names = [d["datasetName"] for d in client.get("/api/dataset").json()["datasets"]]
        assert "thousand" not in names


def test_the_form_says_how_many_labels_fit_and_keeps_what_was_typed(
    platform: tuple[FastAPI, ChainServices],
) -> None:
    app, _ = platform
    owner = browser(app)
    register(owner)
    typed = "\n".join(labels(1000))
    page = submit(
        owner,
        "/datasets/new",
        {"name": "thousand on the form", "description": "", "labels": typed, "max_mb": "1"},
    )
    assert page.status_code == 400
    assert "which fits" in page.text and typed.split("\n")[999] in page.text


def test_creation_is_limited_per_user_and_hour(platform: tuple[FastAPI, ChainServices]) -> None:
    app, _ = platform
    with TestClient(app) as client:
        owner = login(client, "prolific")
        for n in range(3):
            body = {"datasetName": f"prolific-{n}", "description": "", "labels": ["a"]}
            assert client.post("/api/dataset", json=body, headers=owner).status_code == 201
        body = {"datasetName": "prolific-3", "description": "", "labels": ["a"]}
        refused = client.post("/api/dataset", json=body, headers=owner)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "at most 3 an hour" in refused.json()["status"]


def test_the_form_answers_429_past_the_hourly_limit(platform: tuple[FastAPI, ChainServices]) -> None:
    app, _ = platform
    owner = browser(app)
    name = register(owner)
    for n in range(3):
        made = submit(owner, "/datasets/new", {"name": f"{name}-{n}", "labels": "a", "max_mb": "1"})
        assert made.status_code == 303, made.text
    refused = submit(owner, "/datasets/new", {"name": f"{name}-3", "labels": "a", "max_mb": "1"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "at most 3 an hour" in refused.text and f"{name}-3" in refused.text

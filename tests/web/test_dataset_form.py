"""Create a Dataset: the review policy fields become the dataset's Review contract terms, and the
vetted seed set is uploaded as files, a label per row; every refusal sits beside its field."""

from __future__ import annotations

import hashlib
import itertools
import re

from fastapi import FastAPI
from sqlalchemy import func, select

from sebrus.chain.review_types import ReviewTerms
from sebrus.db.models import Dataset
from sebrus.platform import ChainServices
from sebrus.services.scans import seeds
from tests.support.images import png
from tests.support.web import browser, csrf_from, field_block, register

_names = itertools.count()
BASE = {"description": "pets", "labels": "cat, dog", "max_mb": "1"}


def _post(client, data: dict[str, str], files: list | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/datasets/new")
    return client.post("/datasets/new", data={"csrf_token": csrf_from(page.text), **data}, files=files or [])


def _count(app: FastAPI, name: str) -> int:
    with app.state.platform.session_factory() as db:
        return int(db.scalar(select(func.count()).select_from(Dataset).where(Dataset.name == name)) or 0)


def test_the_policy_fields_become_the_review_contract_terms(app: FastAPI, services: ChainServices) -> None:
    client = browser(app)
    register(client)
    name = f"policy {next(_names)}"
    policy = {
        "x": "3",
        "stake_eth": "0.002",
        "reward_eth": "500000000000000 wei",  # wei is accepted with its unit
        "voters": "allow-list",
        "deposit_eth": "0.001 ETH",
        "commit_reveal": "on",
        "commit_minutes": "30",
        "reveal_minutes": "15",
    }
    done = _post(client, {"name": name, **BASE, **policy})
    assert done.status_code == 303, done.text
    dataset_id = int(re.search(r"/datasets/(\d+)", done.headers["location"]).group(1))  # type: ignore[union-attr]
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, dataset_id)
        assert dataset is not None
        stored, address = dict(dataset.review_policy), dataset.address
    expected = ReviewTerms(
        quorum=3,
        stake_wei=2 * 10**15,
        reward_wei=5 * 10**14,
        open_voting=False,
        deposit_wei=10**15,
        commit_reveal=True,
        commit_window_s=1800,
        reveal_window_s=900,
        finalize_delay_s=services.link.no_vote_grace_s,  # the platform's grace, held on chain too
    )
    assert services.handle.reviews is not None
    assert services.handle.reviews.policy(address).terms == expected
    assert stored["x"] == 3 and stored["stake_wei"] == 2 * 10**15 and stored["voters"] == "allow-list"
    page = client.get(f"/datasets/{dataset_id}").text
    for shown in ("3 on one side", "0.002 ETH", "0.0005 ETH", "the owner&#39;s allow-list", "0.001 ETH"):
        assert shown in page, shown
    assert "on: 30 min to commit, 15 min to reveal" in page
    card = next(c for c in client.get("/dashboard").text.split('class="card dataset-card"') if name in c)
    assert "who votes: the owner&#39;s allow-list" in card and "commit-reveal: on" in card


def test_policy_errors_sit_beside_their_fields_and_keep_the_values(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    name = f"bad policy {next(_names)}"
    refused = _post(
        client,
        {
            "name": name,
            **BASE,
            "x": "101",
            "stake_eth": "lots",
            "reward_eth": "1.0000000000000000000000000001",  # refused, never rounded to 1 ETH
            "voters": "open",
            "deposit_eth": "-1",
            "commit_reveal": "on",
            "commit_minutes": "0",
            "reveal_minutes": "60",
        },
    )
    assert refused.status_code == 400
    assert "0 to 100" in field_block(refused.text, "x")
    assert "amount of ETH" in field_block(refused.text, "stake_eth")
    assert "18 decimal places" in field_block(refused.text, "reward_eth")
    assert "zero or more" in field_block(refused.text, "deposit_eth")
    assert "from 1 to" in field_block(refused.text, "commit_minutes")
    assert 'value="lots"' in refused.text and 'value="101"' in refused.text
    assert re.search(r'name="commit_reveal" value="on"\s+checked', refused.text)

    free = _post(client, {"name": name, **BASE, "voters": "open", "stake_eth": "0"})
    assert free.status_code == 400 and "needs a stake above 0" in field_block(free.text, "stake_eth")
    assert _count(app, name) == 0


def test_seed_images_are_uploaded_with_a_label_per_row(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    name = f"seeded {next(_names)}"
    cats, dog = [png(700), png(701)], png(702)
    files = [
        ("seed_files_0", ("cat-a.png", cats[0], "image/png")),
        ("seed_files_0", ("cat-b.png", cats[1], "image/png")),
        ("seed_files_2", ("dog.png", dog, "image/png")),
    ]
    done = _post(owner, {"name": name, **BASE, "seed_label_0": "cat", "seed_label_2": "dog"}, files)
    assert done.status_code == 303, done.text
    dataset_id = int(re.search(r"/datasets/(\d+)", done.headers["location"]).group(1))  # type: ignore[union-attr]
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, dataset_id)
        assert dataset is not None
        stored = {(s.content_hash, s.label) for s in seeds.seed_rows(db, dataset)}
    assert stored == {(hashlib.sha256(c).hexdigest(), "cat") for c in cats} | {
        (hashlib.sha256(dog).hexdigest(), "dog")
    }
    for digest, _ in stored:
        assert app.state.platform.blobs.get(digest) in (*cats, dog)
    page = owner.get(f"/datasets/{dataset_id}?created=1").text
    assert "Your seed set holds 3 vetted images." in page and "Your seed set: 2 cat, 1 dog." in page
    stranger = browser(app)
    register(stranger)
    assert "seed set" not in stranger.get(f"/datasets/{dataset_id}").text  # kept from uploaders


def test_bad_seed_images_are_refused_beside_their_row_before_anything_is_created(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    name = f"bad seeds {next(_names)}"
    refused = _post(
        client,
        {"name": name, **BASE, "seed_label_0": "cat", "seed_label_1": "horse"},
        [
            ("seed_files_0", ("good.png", png(710), "image/png")),
            ("seed_files_0", ("notes.png", b"not a picture", "image/png")),
            ("seed_files_1", ("horse.png", png(711), "image/png")),
        ],
    )
    assert refused.status_code == 400
    assert "notes.png: " in field_block(refused.text, "seed_files_0")
    assert "not an image" in field_block(refused.text, "seed_files_0")
    assert "&#39;horse&#39; is not one of the labels" in field_block(refused.text, "seed_label_1")
    assert "choose them again" in refused.text
    assert 'value="horse"' in refused.text
    no_label = _post(client, {"name": name, **BASE}, [("seed_files_0", ("cat.png", png(712), "image/png"))])
    assert no_label.status_code == 400 and "Give the label" in field_block(no_label.text, "seed_label_0")
    assert _count(app, name) == 0


def test_a_bad_seed_image_is_named_together_with_the_other_fields_errors(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    refused = _post(
        client,
        {"name": "", **BASE, "seed_label_0": "cat"},
        [("seed_files_0", ("notes.png", b"not a picture", "image/png"))],
    )
    assert refused.status_code == 400
    assert "Give the dataset a name" in field_block(refused.text, "name")
    assert "notes.png: " in field_block(refused.text, "seed_files_0")  # not hidden by the name's error

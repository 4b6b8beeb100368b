"""An owner adds vetted seed images to an existing dataset from its page: the same checks as on creation,
refusals beside their field, and nothing stored unless every image passes."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from sqlalchemy import select

from sebrus.db.models import DatasetSeed
from tests.support.images import png
from tests.support.web import add_seed_images, browser, create_dataset, register


def seeds_of(app: FastAPI, dataset_id: int) -> dict[str, str]:
    with app.state.platform.session_factory() as db:
        rows = db.scalars(select(DatasetSeed).where(DatasetSeed.dataset_id == dataset_id))
        return {row.content_hash: row.label for row in rows}


def test_an_owner_adds_seed_images_from_the_dataset_page(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "seeded later")
    page = owner.get(f"/datasets/{dataset_id}").text
    assert f'action="/datasets/{dataset_id}/seed"' in page
    assert "empty: scans then calibrate on the data itself" in page

    images = [("a.png", png(501)), ("b.png", png(502))]
    added = add_seed_images(owner, dataset_id, "dog", images)
    assert added.status_code == 303
    assert added.headers["location"] == f"/datasets/{dataset_id}?seeded=2#checks-heading"
    shown = owner.get(added.headers["location"]).text
    assert "Added 2 images to your seed set." in shown and "Your seed set: 2 dog." in shown
    assert seeds_of(app, dataset_id) == {hashlib.sha256(data).hexdigest(): "dog" for _, data in images}

    again = add_seed_images(owner, dataset_id, "dog", images[:1])
    assert again.headers["location"].startswith(f"/datasets/{dataset_id}?seeded=0")
    assert "Those images were already in your seed set." in owner.get(again.headers["location"]).text
    assert len(seeds_of(app, dataset_id)) == 2


def test_refusals_sit_beside_their_field_and_store_nothing(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "careful seeds")

    nothing = add_seed_images(owner, dataset_id, "cat", [])
    assert nothing.status_code == 400 and 'id="seed_files_0-error"' in nothing.text
    assert "Choose at least one image to add." in nothing.text

    mixed = add_seed_images(
        owner, dataset_id, "cat", [("good.png", png(601)), ("notes.png", b"not a picture at all")]
    )
    assert mixed.status_code == 400 and 'id="seed_files_0-error"' in mixed.text
    assert "notes.png" in mixed.text
    assert '<option value="cat" selected>cat</option>' in mixed.text  # the label chosen stays chosen

    wrong_label = add_seed_images(owner, dataset_id, "horse", [("good.png", png(602))])
    assert wrong_label.status_code == 400 and 'id="seed_label_0-error"' in wrong_label.text
    assert seeds_of(app, dataset_id) == {}

    stranger = browser(app)
    register(stranger)
    theirs = add_seed_images(stranger, dataset_id, "cat", [("good.png", png(603))])
    assert theirs.status_code == 403 and "Only the dataset&#39;s owner changes its seed set." in theirs.text
    assert f'action="/datasets/{dataset_id}/seed"' not in stranger.get(f"/datasets/{dataset_id}").text

    no_token = owner.post(
        f"/datasets/{dataset_id}/seed",
        data={"seed_label_0": "cat"},
        files=[("seed_files_0", ("good.png", png(604), "image/png"))],
    )
    assert no_token.status_code == 403
    assert seeds_of(app, dataset_id) == {}

"""An owner states the dataset's licence and citation on its page; a refusal shows every error at once."""

from __future__ import annotations

import html

from fastapi import FastAPI

from sebrus.db.models import Dataset
from tests.support.web import browser, create_dataset, field_block, register, submit


def terms_of(app: FastAPI, dataset_id: int) -> tuple[str | None, str | None]:
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, dataset_id)
        assert dataset is not None
        return dataset.license, dataset.cite_as


def test_an_owner_states_the_terms_and_a_refusal_keeps_what_was_typed(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "licensed pets")
    page_url = f"/datasets/{dataset_id}"
    action = f"/datasets/{dataset_id}/terms"
    assert f'action="{action}"' in owner.get(page_url).text

    bad_citation = "@misc{pets,\n  title = {Pets}\x07}"
    refused = submit(owner, page_url, {"license": "anything goes", "cite_as": bad_citation}, action=action)
    assert refused.status_code == 400
    assert "SPDX licence expression" in html.unescape(field_block(refused.text, "license"))
    assert "control characters" in field_block(refused.text, "cite_as")
    assert 'value="anything goes"' in refused.text  # what was typed stays
    assert html.escape(bad_citation, quote=False) in refused.text
    assert terms_of(app, dataset_id) == (None, None)

    citation = "@misc{pets,\n  title = {Pets}\n}"
    saved = submit(owner, page_url, {"license": "CC-BY-4.0", "cite_as": citation}, action=action)
    assert saved.status_code == 303 and saved.headers["location"] == f"{page_url}?terms=1#terms"
    assert terms_of(app, dataset_id) == ("CC-BY-4.0", citation)
    shown = owner.get(saved.headers["location"]).text
    assert 'id="terms-saved"' in shown and "CC-BY-4.0" in shown

    stranger = browser(app)
    register(stranger)
    their_page = stranger.get(page_url).text
    assert f'action="{action}"' not in their_page and "CC-BY-4.0" in their_page
    theirs = submit(stranger, page_url, {"license": "MIT", "cite_as": ""}, action=action)
    assert theirs.status_code == 403 and terms_of(app, dataset_id) == ("CC-BY-4.0", citation)

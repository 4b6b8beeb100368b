"""Issue 15 item 1: an x = 0 item cannot be finalized before its anchoring time plus the grace.

Seen in the audit: a contributor finalized their own upload 1.2 s after sending it, skipping the grace
in which a scan can quarantine it. The API answers 409 with the time finalize becomes possible (in
the message, a ``not_before`` field and ``Retry-After``), and the Review contract refuses the same on
chain (``FinalizeTooEarly``), since anyone may call ``finalize`` there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from sebrus.chain import ContractReverted
from sebrus.platform import ChainServices
from tests.support.platform import advance_chain, create_dataset, login, review_path, running_platform, upload

Platform = tuple[TestClient, ChainServices]
GRACE = 600


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    # The finalizer loop is off: only the calls below finalize anything.
    data_dir = tmp_path_factory.mktemp("guard") / "data"
    with running_platform(data_dir, review_finalizer=False, review_no_vote_grace_seconds=GRACE) as running:
        yield running


def _anchored_at(services: ChainServices, address: str, content_hash: str) -> int:
    record = services.handle.ledger.get_item(address, content_hash)
    assert record is not None
    return record.submitted_at


def test_the_contributor_cannot_finalize_their_own_upload_within_the_grace(platform: Platform) -> None:
    client, services = platform
    owner, contributor = login(client, "g-owner"), login(client, "g-contrib")
    dataset = create_dataset(client, owner, "guarded", {"x": 0})
    ds, address = int(dataset["id"]), str(dataset["address"])
    item = upload(client, contributor, ds, 1)
    not_before = _anchored_at(services, address, item) + GRACE

    refused = client.post(review_path(ds, "items", item, "finalize"), headers=contributor)
    assert refused.status_code == 409
    body = refused.json()
    iso = datetime.fromtimestamp(not_before, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["error"] == "FinalizeTooEarly" and iso in body["status"]
    assert body["not_before"] == iso
    assert 0 < int(refused.headers["Retry-After"]) <= GRACE
    assert client.get(f"/api/dataset/{ds}/items/{item}").json()["item"]["status"] == "pending"

    # On chain too: the policy carries the grace as finalize_delay, and anyone may call finalize.
    reviews = services.handle.reviews
    assert reviews is not None
    assert reviews.policy_for(address, item).terms.finalize_delay_s == GRACE
    with pytest.raises(ContractReverted) as direct:
        reviews.finalize(services.handle.operators.detector, address, item)
    assert direct.value.error == "FinalizeTooEarly"
    assert direct.value.arguments["notBefore"] == not_before

    advance_chain(services, GRACE + 1)
    done = client.post(review_path(ds, "items", item, "finalize"), headers=contributor)
    assert done.status_code == 200, done.text
    assert done.json()["item"]["status"] == "approved"


def test_a_longer_policy_delay_is_the_one_the_answer_names(platform: Platform) -> None:
    client, services = platform
    owner, contributor = login(client, "d-owner"), login(client, "d-contrib")
    dataset = create_dataset(client, owner, "delayed", {"x": 0, "finalize_delay": 3 * GRACE})
    ds, address = int(dataset["id"]), str(dataset["address"])
    item = upload(client, contributor, ds, 2)
    not_before = _anchored_at(services, address, item) + 3 * GRACE
    advance_chain(services, GRACE + 1)  # past the platform's grace, not the policy's delay
    refused = client.post(review_path(ds, "items", item, "finalize"), headers=owner)
    assert refused.status_code == 409
    assert refused.json()["not_before"] == datetime.fromtimestamp(not_before, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_a_finalize_delay_beyond_thirty_days_is_refused_before_anything_is_sent(platform: Platform) -> None:
    client, _ = platform
    owner = login(client, "long-owner")
    refused = client.post(
        "/api/dataset",
        json={
            "datasetName": "too long",
            "description": "x",
            "labels": ["cat", "dog"],
            "review_policy": {"x": 0, "finalize_delay": 30 * 86400 + 1},
        },
        headers=owner,
    )
    assert refused.status_code == 400
    assert "finalize_delay" in refused.json()["status"]

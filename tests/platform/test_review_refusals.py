"""Refusals of the review loop read as sentences: the contract's error name travels as ``error`` for
scripts, and a reviewer with no ballot in a round that closed unrevealed is told what happened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from tests.support.platform import advance_chain, create_dataset, login, review_path, running_platform, upload

STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("refusals") / "data", review_finalizer=False) as running:
        yield running


def test_a_round_that_closed_unrevealed_is_explained_to_a_reviewer_who_never_took_part(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, committer, bystander = (
        login(client, name) for name in ("nb-owner", "nb-contrib", "nb-committer", "nb-bystander")
    )
    policy = {"x": 1, "stake_wei": STAKE, "commit_reveal": True, "commit_window": 60, "reveal_window": 60}
    ds = int(create_dataset(client, owner, "unrevealed", policy)["id"])
    item = upload(client, contributor, ds, 70)
    committed = client.post(
        review_path(ds, "items", item, "commit"), json={"approve": True}, headers=committer
    )
    assert committed.status_code == 200, committed.text
    advance_chain(services, 200)  # past the reveal window, nobody revealed
    failed = client.post(review_path(ds, "items", item, "finalize"), json={}, headers=owner)
    assert failed.status_code == 200, failed.text
    assert failed.json()["item"]["status"] == "pending"  # the round failed; the item stays open

    for action in ("reveal", "claim"):
        refused = client.post(review_path(ds, "items", item, action), json={}, headers=bystander)
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "NoBallot"
        assert "NoBallot" not in body["status"] and "no commitment" not in body["status"]
        assert body["status"].startswith(
            f"You did not vote on this item, so there is nothing of yours to {action}."
        )
        assert "round 0 closed without enough reveals" in body["status"]


def test_a_contract_refusal_answers_a_sentence_and_its_name_apart(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner, contributor, reviewer = (login(client, name) for name in ("rf-owner", "rf-contrib", "rf-rev"))
    ds = int(create_dataset(client, owner, "refusing", {"x": 2, "stake_wei": STAKE})["id"])
    item = upload(client, contributor, ds, 71)
    assert (
        client.post(
            review_path(ds, "items", item, "vote"), json={"approve": True}, headers=reviewer
        ).status_code
        == 200
    )
    again = client.post(review_path(ds, "items", item, "vote"), json={"approve": True}, headers=reviewer)
    assert again.status_code == 409
    assert again.json()["error"] == "AlreadyVoted"
    assert again.json()["status"] == "You have already voted on this item in this round."

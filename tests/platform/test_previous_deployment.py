"""A chain deployed with the previous release's contracts keeps working with today's code.

Its reviews (interface version 1) have no ``finalizeDelay`` and no ``reviewVersion()``, and its
datasets revert a whole batch on an anchored hash (``DuplicateItem``) instead of skipping it. Today's
ReviewLedger speaks to them with their own ABI; the API's finalize guard is what holds x = 0 items
through the grace there (the contract would approve at once); and the relayer still settles a
front-run upload as "taken" and anchors the rest on the next step.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.chain.review_types import LEGACY_REVIEW_VERSION, ItemReview
from sebrus.db.models import OutboxEntry, OutboxState
from sebrus.platform import ChainServices, build_platform
from tests.support.images import png
from tests.support.platform import Auth, cheap_settings, create_dataset, login, review_path
from tests.support.previous_release import previous_artifacts

Stopped = tuple[TestClient, ChainServices]
GRACE = 600


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stopped]:
    """The platform on a chain its previous release deployed; the loops are not started."""
    settings = cheap_settings(
        tmp_path_factory.mktemp("previous"), upload_rate_per_minute=10_000, review_no_vote_grace_seconds=GRACE
    )
    with previous_artifacts():
        app, services = build_platform(settings)
    try:
        with TestClient(app) as client:
            yield client, services
    finally:
        services.stop()


def _funded(services: ChainServices) -> LocalAccount:
    account: LocalAccount = Account.create()
    services.handle.ledger.transfer(services.handle.operators.deployer, account.address, 10**18)
    return account


def _queue(client: TestClient, auth: Auth, dataset_id: int, seeds: range) -> list[str]:
    """Upload without waiting (the loops are not running): the queued content hashes."""
    hashes = []
    for seed in seeds:
        queued = client.post(
            f"/api/dataset/{dataset_id}/items",
            params={"label": "cat", "wait": "false"},
            content=png(seed),
            headers=auth,
        )
        assert queued.status_code == 202, queued.text
        hashes.append(queued.json()["content_hash"])
    return hashes


def test_reviews_of_the_previous_factory_are_spoken_to_with_their_own_abi(stopped: Stopped) -> None:
    client, services = stopped
    reviews = services.handle.reviews
    assert reviews is not None
    assert reviews.factory_version() == LEGACY_REVIEW_VERSION
    owner = login(client, "old-owner")
    dataset = create_dataset(client, owner, "old", {"x": 1, "finalize_delay": 5})
    address = str(dataset["address"])
    assert reviews.review_version(address) == LEGACY_REVIEW_VERSION
    policy = client.get(review_path(int(dataset["id"]), "policy"), headers=owner)
    assert policy.status_code == 200, policy.text
    # A version 1 review has no finalize delay on chain: it reads back as 0.
    assert policy.json()["policy"]["x"] == 1 and policy.json()["policy"]["finalize_delay"] == 0
    changed = client.put(review_path(int(dataset["id"]), "policy"), json={"policy": {"x": 2}}, headers=owner)
    assert changed.status_code == 200, changed.text
    assert reviews.policy(address).terms.quorum == 2


def test_the_api_guard_holds_x_zero_items_where_the_old_contract_would_not(stopped: Stopped) -> None:
    client, services = stopped
    reviews = services.handle.reviews
    assert reviews is not None
    owner, contributor = login(client, "old-x0-owner"), login(client, "old-x0-contrib")
    dataset = create_dataset(client, owner, "old-x0", {"x": 0})
    ds, address = int(dataset["id"]), str(dataset["address"])
    guarded, unguarded = _queue(client, contributor, ds, range(30, 32))
    services.relayer.step()
    services.indexer.sync()

    refused = client.post(review_path(ds, "items", guarded, "finalize"), headers=contributor)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "FinalizeTooEarly" and body["not_before"] in body["status"]
    assert 0 < int(refused.headers["Retry-After"]) <= GRACE

    # The version 1 contract itself has no minimum age: a direct call approves at once. That is
    # why the guard stays in the API for these reviews (and why version 2 enforces it on chain).
    reviews.finalize(_funded(services), address, unguarded)
    assert reviews.item_review(address, unguarded).outcome.name == "APPROVED"
    assert isinstance(reviews.item_review(address, guarded), ItemReview)


def test_a_front_run_hash_on_an_old_dataset_is_taken_and_the_rest_anchored_next_step(
    stopped: Stopped,
) -> None:
    client, services = stopped
    victim = login(client, "old-victim")
    dataset = create_dataset(client, login(client, "old-ds-owner"), "old-batches")
    hashes = _queue(client, victim, int(dataset["id"]), range(40, 43))
    attacker = _funded(services)
    services.handle.ledger.submit(attacker, str(dataset["address"]), hashes[2], "dog")

    services.relayer.step()  # the old dataset reverts the whole batch with DuplicateItem
    services.relayer.step()  # the others go through on the next step
    services.indexer.sync()
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        entries = {e.content_hash: e for e in db.scalars(select(OutboxEntry))}
    assert entries[hashes[2]].state is OutboxState.TAKEN
    assert attacker.address in (entries[hashes[2]].error or "")
    assert entries[hashes[0]].state is OutboxState.CONFIRMED
    assert entries[hashes[1]].state is OutboxState.CONFIRMED

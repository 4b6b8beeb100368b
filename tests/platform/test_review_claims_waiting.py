"""Claims waiting: a lost or forfeited ballot is never asked of the chain, so it cannot crowd out the
ballots that do hold money (the profile and the review page ask on every visit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.db.models import User
from sebrus.platform import ChainServices
from sebrus.services.review import queries as review_queries
from sebrus.services.review.chain import ReviewChain
from tests.support.platform import create_dataset, login, review_path, running_platform, upload


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path / "data", review_finalizer=False) as running:
        yield running


def test_only_ballots_that_can_hold_money_are_asked_of_the_chain(
    platform: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, services = platform
    owner, contributor = login(client, "cw-owner"), login(client, "cw-contrib")
    winner, loser, third = login(client, "cw-win"), login(client, "cw-lose"), login(client, "cw-third")
    ds = int(create_dataset(client, owner, "claims", {"x": 2})["id"])
    item = upload(client, contributor, ds, 5)
    for auth, approve in ((winner, True), (loser, False), (third, True)):
        voted = client.post(review_path(ds, "items", item, "vote"), json={"approve": approve}, headers=auth)
        assert voted.status_code == 200, voted.text

    chain = ReviewChain(link=services.link, sync=services.indexer.sync)
    asked: list[tuple[Any, ...]] = []
    reviews = chain.reviews
    real_claimable = reviews.claimable

    def counting(*args: Any) -> int:
        asked.append(args)
        return real_claimable(*args)

    monkeypatch.setattr(reviews, "claimable", counting)
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]

        def user(name: str) -> User:
            found = db.scalar(select(User).where(User.username_key == name))
            assert found is not None
            return found

        assert review_queries.claims_waiting(db, chain, user("cw-lose")) == []
        assert asked == []  # the lost side was never a candidate
        [waiting] = review_queries.claims_waiting(db, chain, user("cw-win"))
        assert waiting.content_hash == item and waiting.amount_wei > 0
        assert len(asked) == 1

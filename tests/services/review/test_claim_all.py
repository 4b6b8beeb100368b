"""Claiming every waiting payout at once: one relayed claimBatch on a version 3 review, recorded once
by the index, one claim per ballot on an older review."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import bond_of
from sebrus.db.models import Dataset, ReviewClaim, User
from sebrus.http.deps import review_chain_of
from sebrus.platform import ChainServices
from sebrus.services.errors import Conflict
from sebrus.services.review import queries
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.claim_all import ClaimedAll, claim_all
from tests.support.platform import Auth, create_dataset, login, review_path, running_platform, upload

STAKE = 10**15
REWARD = 10**14
_seeds = iter(range(7000, 8000))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("claims") / "data", review_finalizer=False) as running:
        yield running


class Won:
    """A reviewer whose first ballots on two items (x = 3) won once two others decided them."""

    def __init__(self, platform: tuple[TestClient, ChainServices], name: str) -> None:
        self.client, self.services = platform
        self.chain: ReviewChain = review_chain_of(self.services)
        owner = login(self.client, f"{name}-owner")
        contributor = login(self.client, f"{name}-contrib")
        self.name = f"{name}-rev"
        self.auth = login(self.client, self.name)
        policy = {"x": 3, "stake_wei": STAKE, "reward_wei": REWARD}
        self.dataset_id = int(create_dataset(self.client, owner, name, policy)["id"])
        self.post(owner, "pool", "fund", body={"amount_wei": str(10 * REWARD)})
        self.items = [upload(self.client, contributor, self.dataset_id, next(_seeds)) for _ in range(2)]

    def decide(self) -> None:
        others = [login(self.client, f"{self.name}-x{n}") for n in range(2)]
        for item in self.items:
            for auth in [self.auth, *others]:
                self.post(auth, "items", item, "vote", body={"approve": True})

    def db(self) -> Session:
        session: Session = self.client.app.state.platform.session_factory()  # type: ignore[attr-defined]
        return session

    def post(self, auth: Auth, *parts: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        answer = self.client.post(review_path(self.dataset_id, *parts), json=body or {}, headers=auth)
        assert answer.status_code == status, answer.text
        return answer.json()

    def claim_all(self) -> ClaimedAll:
        with self.db() as db:
            user, dataset = self.user_and_dataset(db)
            return claim_all(db, self.chain, dataset, user)

    def user_and_dataset(self, db: Session) -> tuple[User, Dataset]:
        user = db.scalar(select(User).where(User.username == self.name))
        dataset = db.get(Dataset, self.dataset_id)
        assert user is not None and dataset is not None
        return user, dataset

    def bond(self) -> int:
        with self.db() as db:
            user, dataset = self.user_and_dataset(db)
            return bond_of(self.chain.reviews, dataset.address, self.chain.wallet(db, user).address)

    def claim_rows(self) -> int:
        with self.db() as db:
            count = db.scalar(
                select(func.count()).select_from(ReviewClaim).where(ReviewClaim.dataset_id == self.dataset_id)
            )
        return int(count or 0)


def test_two_winning_ballots_are_credited_to_the_bond_in_one_transaction(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = Won(platform, "claims-batch")
    world.decide()
    with world.db() as db:
        user, dataset = world.user_and_dataset(db)
        waiting = queries.claims_waiting(db, world.chain, user, dataset)
    assert len(waiting) == 2
    expected = sum(w.amount_wei for w in waiting)
    assert expected >= 2 * STAKE
    rows_before, bond_before = world.claim_rows(), world.bond()

    done = world.claim_all()

    assert done.transactions == 1 and done.into_bond and done.claimed == 2
    assert done.credited_wei == expected
    assert len({o.tx_hash for o in done.outcomes}) == 1 and done.outcomes[0].tx_hash
    assert world.bond() - bond_before == expected
    assert "in 1 transaction: credited to your review bond" in done.sentence()
    assert f"sebrus review bond withdraw {world.dataset_id}" in done.sentence()
    # Recorded once each by the index, and a second sync of the same events adds nothing.
    assert world.claim_rows() == rows_before + 2
    world.chain.sync()
    assert world.claim_rows() == rows_before + 2

    with pytest.raises(Conflict, match="Nothing to claim"):
        world.claim_all()


def test_an_older_review_claims_one_transaction_per_ballot(
    platform: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = Won(platform, "claims-v2")
    world.decide()
    rows_before = world.claim_rows()
    monkeypatch.setattr(type(world.chain.reviews), "review_version", lambda self, dataset: 2)

    done = world.claim_all()

    assert (done.transactions, done.claimed, done.into_bond) == (2, 2, False)
    assert len({o.tx_hash for o in done.outcomes}) == 2
    assert "in 2 transactions (this review is older than version 3" in done.sentence()
    assert world.claim_rows() == rows_before + 2


def test_more_claims_than_one_batch_takes_go_in_chunks(
    platform: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = Won(platform, "claims-chunks")
    world.decide()
    monkeypatch.setattr("sebrus.services.review.claim_all.MAX_BALLOTS", 1)
    bond_before = world.bond()

    done = world.claim_all()

    assert (done.transactions, done.claimed, done.into_bond) == (2, 2, True)
    assert len({o.tx_hash for o in done.outcomes}) == 2
    assert world.bond() - bond_before == done.credited_wei

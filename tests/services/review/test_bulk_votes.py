"""Voting in bulk (``services/review/bulk_votes.py``) on the embedded chain: every entry is checked before
anything is sent, entries that cannot be voted on now are refused by name while the others settle, a
submission that does not say what it means sends nothing, and a page voted on after a look is not
"too fast"."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import bond_of, deposit_bond
from sebrus.db.models import Dataset, Item, ReviewServe, ReviewVote, User
from sebrus.http.deps import review_chain_of
from sebrus.platform import ChainServices
from sebrus.services.errors import Conflict, InvalidInput, NotFound
from sebrus.services.review import quality, queries
from sebrus.services.review.bulk_votes import BulkResult, Decision, vote_in_bulk
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.settlers import (
    BallotOutcome,
    BallotToSettle,
    CustodialPerVoteSettler,
    Settlement,
    SignedBallotSettler,
    settler_for,
)
from tests.support.platform import Auth, create_dataset, login, review_path, running_platform, upload

STAKE = 10**15
_seeds = iter(range(5000, 6000))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("bulk") / "data", review_finalizer=False) as running:
        yield running


class World:
    """An owner's dataset with a contributor's items, and a reviewer to vote on them."""

    def __init__(self, platform: tuple[TestClient, ChainServices], name: str, policy: dict[str, Any]) -> None:
        self.client, self.services = platform
        self.owner = login(self.client, f"{name}-owner")
        self.contributor = login(self.client, f"{name}-contrib")
        self.reviewer_auth = login(self.client, f"{name}-rev")
        self.reviewer_name = f"{name}-rev"
        self.dataset_id = int(create_dataset(self.client, self.owner, name, policy)["id"])
        self.chain: ReviewChain = review_chain_of(self.services)

    def upload(self, count: int) -> list[str]:
        return [upload(self.client, self.contributor, self.dataset_id, next(_seeds)) for _ in range(count)]

    def db(self) -> Session:
        session: Session = self.client.app.state.platform.session_factory()  # type: ignore[attr-defined]
        return session

    def bulk(self, decisions: Sequence[tuple[str, bool]], settler: Any = None) -> BulkResult:
        with self.db() as db:
            user = db.scalar(select(User).where(User.username == self.reviewer_name))
            dataset = db.get(Dataset, self.dataset_id)
            assert user is not None and dataset is not None
            return vote_in_bulk(
                db, self.chain, dataset, user, [Decision(r, a) for r, a in decisions], settler=settler
            )

    def votes(self) -> int:
        with self.db() as db:
            count = db.scalar(
                select(func.count()).select_from(ReviewVote).where(ReviewVote.dataset_id == self.dataset_id)
            )
        return int(count or 0)

    def post(self, auth: Auth, *parts: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        answer = self.client.post(review_path(self.dataset_id, *parts), json=body or {}, headers=auth)
        assert answer.status_code == status, answer.text
        return answer.json()


def test_valid_entries_settle_and_the_refused_ones_say_which_item_and_why(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-mixed", {"x": 3, "stake_wei": STAKE})
    voted, fresh, other = world.upload(3)
    world.post(world.reviewer_auth, "items", voted, "vote", body={"approve": True})
    own = upload(world.client, world.reviewer_auth, world.dataset_id, next(_seeds))

    result = world.bulk([(voted, True), (fresh[:13], True), ("0x" + other.upper(), False), (own, True)])

    assert [o.settled for o in result.outcomes] == [False, True, True, False]
    refused_voted, settled_fresh, settled_other, refused_own = result.outcomes
    assert refused_voted.code == "AlreadyVoted"
    assert refused_voted.message.startswith(f"Item {voted[:13]}: You have already voted")
    assert refused_own.code == "OwnContribution" and own[:13] in refused_own.message
    assert settled_fresh.content_hash == fresh and settled_fresh.ref == fresh[:13]
    # A version 3 review: both ballots ride one relayed transaction, after one bond top-up for their stakes.
    assert settled_fresh.tx_hash and settled_fresh.tx_hash == settled_other.tx_hash
    assert (result.settled, result.refused, result.transactions) == (2, 2, 2)
    assert result.bond_topped_up_wei == 2 * STAKE and result.settler == SignedBallotSettler.name
    assert result.settle_seconds > 0 and result.gas_used > 0
    said = result.sentence()
    assert said.startswith("2 votes settled in ") and " s in 1 transaction." in said, said
    assert "topped up by 0.002 ETH" in said and "2 refused" in said
    with world.db() as db:
        sides = dict(
            db.execute(
                select(ReviewVote.content_hash, ReviewVote.side).where(
                    ReviewVote.dataset_id == world.dataset_id
                )
            ).all()
        )
    assert sides == {voted: "approve", fresh: "approve", other: "reject"}


def test_a_submission_that_does_not_say_what_it_means_sends_nothing(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-whole", {"x": 3, "stake_wei": STAKE})
    first, second = world.upload(2)
    unknown = "f" * 64 if not first.startswith("f") and not second.startswith("f") else "0" * 64

    with pytest.raises(InvalidInput) as bad:
        world.bulk([(first, True), (unknown, True), (first[:20], False), ("not-hex", True), (second, True)])
    message = bad.value.message
    assert message.startswith("Nothing was voted on.")
    assert f"Entry 2: dataset {world.dataset_id} has no item whose sha256 starts with {unknown}" in message
    assert f"Entry 3 names item {first[:13]} again (first named by entry 1)" in message
    assert "Entry 4 ('not-hex') is not a sha256" in message
    with pytest.raises(NotFound):
        world.bulk([(second, True), (unknown, False)])
    with pytest.raises(InvalidInput, match="at least one item"):
        world.bulk([])
    assert world.votes() == 0


def test_when_no_entry_can_be_voted_on_the_submission_is_refused_with_every_sentence(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-none", {"x": 3, "stake_wei": STAKE, "deposit_wei": STAKE})
    first, second = world.upload(2)
    with pytest.raises(Conflict) as refused:
        world.bulk([(first, True), (second, False)])
    assert refused.value.message.startswith("None of these votes can be cast:")
    assert f"Item {first[:13]}: The contributor has not paid" in refused.value.message
    assert f"Item {second[:13]}: The contributor has not paid" in refused.value.message
    assert world.votes() == 0


def test_a_commit_reveal_item_is_refused_by_name(platform: tuple[TestClient, ChainServices]) -> None:
    policy = {"x": 1, "stake_wei": STAKE, "commit_reveal": True, "commit_window": 600, "reveal_window": 600}
    world = World(platform, "bulk-cr", policy)
    (item,) = world.upload(1)
    with pytest.raises(Conflict, match=f"Item {item[:13]}: It is reviewed by commit-reveal"):
        world.bulk([(item, True)])


def test_votes_past_what_the_reward_pool_covers_are_refused_and_the_rest_settle(
    platform: tuple[TestClient, ChainServices],
) -> None:
    reward = 10**14
    world = World(platform, "bulk-pool", {"x": 3, "stake_wei": STAKE, "reward_wei": reward})
    world.post(world.owner, "pool", "fund", body={"amount_wei": str(2 * reward)})
    items = world.upload(3)
    result = world.bulk([(i, True) for i in items])
    assert [o.settled for o in result.outcomes] == [True, True, False]
    assert result.outcomes[2].code == "InsufficientPool" and items[2][:13] in result.outcomes[2].message


def test_a_wallet_that_cannot_pay_every_stake_sends_nothing(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-poor", {"x": 3, "stake_wei": 10**24})
    items = world.upload(2)
    with pytest.raises(InvalidInput, match="2 votes needs"):
        world.bulk([(i, True) for i in items])
    assert world.votes() == 0


def test_the_settler_is_a_seam_that_gets_only_the_checked_ballots(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-seam", {"x": 3, "stake_wei": STAKE})
    mine = upload(world.client, world.reviewer_auth, world.dataset_id, next(_seeds))
    first, second = world.upload(2)
    seen: list[tuple[str, bool]] = []

    class OneTransaction:
        name = "signed ballots, one transaction"

        def settle(
            self,
            db: Session,
            chain: ReviewChain,
            dataset: Dataset,
            user: User,
            ballots: Sequence[BallotToSettle],
        ) -> Settlement:
            seen.extend((b.item.content_hash, b.approve) for b in ballots)
            refused = Conflict("The review contract refused the request.", code="AlreadyVoted")
            outcomes = [BallotOutcome(ballots[0].item.content_hash, tx_hash="0x" + "ab" * 32)]
            outcomes.append(BallotOutcome(ballots[1].item.content_hash, refusal=refused))
            return Settlement(outcomes, transactions=1, gas_used=90_000)

    result = world.bulk([(first, True), (mine, True), (second, False)], settler=OneTransaction())
    assert seen == [(first, True), (second, False)]
    assert [(o.settled, o.code) for o in result.outcomes] == [
        (True, None),
        (False, "OwnContribution"),
        (False, "AlreadyVoted"),
    ]
    assert result.outcomes[2].message.startswith(f"Item {second[:13]}: ")
    assert (result.transactions, result.settler) == (1, "signed ballots, one transaction")


def _served_page(world: World, count: int, look_seconds: float) -> list[str]:
    """The reviewer's queue serves a page; the serves are moved ``look_seconds`` into the past."""
    with world.db() as db:
        user = db.scalar(select(User).where(User.username == world.reviewer_name))
        dataset = db.get(Dataset, world.dataset_id)
        assert user is not None and dataset is not None
        page = [e.item.content_hash for e in queries.queue(db, world.chain, dataset, user, count)]
        for serve in db.scalars(select(ReviewServe).where(ReviewServe.user_id == user.id)):
            serve.served_at = serve.served_at - timedelta(seconds=look_seconds)
        db.commit()
    return page


def _flags(world: World) -> list[str]:
    with world.db() as db:
        dataset = db.get(Dataset, world.dataset_id)
        assert dataset is not None
        (entry,) = quality.reviewer_quality(db, dataset)
    return entry.flags


def test_a_page_voted_on_in_bulk_after_a_look_is_not_too_fast(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-pace", {"x": 3, "stake_wei": STAKE})
    world.upload(6)
    page = _served_page(world, 6, look_seconds=60)
    assert world.bulk([(h, n % 2 == 0) for n, h in enumerate(page)]).settled == 6
    assert "too-fast" not in _flags(world)


def test_a_page_approved_in_bulk_the_moment_it_is_served_is_too_fast(
    platform: tuple[TestClient, ChainServices],
) -> None:
    world = World(platform, "bulk-rush", {"x": 3, "stake_wei": STAKE})
    world.upload(6)
    page = _served_page(world, 6, look_seconds=0)
    assert world.bulk([(h, n % 2 == 0) for n, h in enumerate(page)]).settled == 6
    assert "too-fast" in _flags(world)


def test_a_page_settles_in_one_relayed_transaction_recorded_as_the_reviewers_votes(
    platform: tuple[TestClient, ChainServices],
) -> None:
    """The relayer sends settleBallots, yet the index records each vote as the reviewer's (the event's
    voter, not the sender); a deciding ballot's payout is credited into the bond and recorded as a claim."""
    world = World(platform, "bulk-signed", {"x": 3, "stake_wei": STAKE})
    items = world.upload(10)
    first = world.bulk([(i, n % 3 != 0) for n, i in enumerate(items[:6])])
    assert (first.settled, first.transactions, first.bond_topped_up_wei) == (6, 2, 6 * STAKE)
    assert len({o.tx_hash for o in first.outcomes}) == 1
    # The bond now covers nothing more: the next page tops up again, and says so; with enough bond, one tx.
    with world.db() as db:
        dataset = db.get(Dataset, world.dataset_id)
        user = db.scalar(select(User).where(User.username == world.reviewer_name))
        assert dataset is not None and user is not None
        address = world.chain.address_of(dataset)
        signer = world.chain.signer(db, user)
        deposit_bond(world.chain.reviews, signer, address, 4 * STAKE)
        voter = signer.address
    second = world.bulk([(i, True) for i in items[6:]])
    assert (second.settled, second.transactions, second.bond_topped_up_wei) == (4, 1, 0)
    assert second.sentence().startswith("4 votes settled in ") and "in 1 transaction." in second.sentence()
    with world.db() as db:
        rows = db.execute(
            select(
                ReviewVote.content_hash, ReviewVote.side, ReviewVote.voter_address, ReviewVote.tx_hash
            ).where(ReviewVote.dataset_id == world.dataset_id)
        ).all()
    assert {r.content_hash: r.side for r in rows} == {
        i: ("approve" if n % 3 != 0 or n >= 6 else "reject") for n, i in enumerate(items)
    }
    assert {r.voter_address for r in rows} == {voter}
    assert {r.tx_hash for r in rows} == {first.outcomes[0].tx_hash, second.outcomes[0].tx_hash}


def test_a_deciding_signed_ballot_resolves_the_item_and_its_stake_stays_in_the_bond(
    platform: tuple[TestClient, ChainServices],
) -> None:
    """x = 1: each ballot decides its item in the settlement; the item's status follows, the winner's
    stake and reward land in the bond at once, so nothing is left waiting to be claimed."""
    reward = 10**14
    world = World(platform, "bulk-decide", {"x": 1, "stake_wei": STAKE, "reward_wei": reward})
    world.post(world.owner, "pool", "fund", body={"amount_wei": str(2 * reward)})
    items = world.upload(2)
    result = world.bulk([(items[0], True), (items[1], False)])
    assert (result.settled, result.transactions) == (2, 2)
    with world.db() as db:
        found = db.scalars(select(Item).where(Item.dataset_id == world.dataset_id))
        statuses = {i.content_hash: i.status for i in found}
        user = db.scalar(select(User).where(User.username == world.reviewer_name))
        dataset = db.get(Dataset, world.dataset_id)
        assert user is not None and dataset is not None
        assert queries.claims_waiting(db, world.chain, user, dataset) == []
        voter = world.chain.wallet(db, user).address
    assert statuses[items[0]] == "approved" and statuses[items[1]] == "rejected"
    assert bond_of(world.chain.reviews, dataset.address, voter) == 2 * STAKE + 2 * reward


def test_a_ballot_the_contract_skips_is_refused_by_name_and_the_others_count(
    platform: tuple[TestClient, ChainServices],
) -> None:
    """Ballots signed with a deadline already past are skipped by settleBallots: each entry gets the
    adapter's sentence, nothing is recorded, and the bond keeps the stakes."""
    world = World(platform, "bulk-expired", {"x": 3, "stake_wei": STAKE})
    items = world.upload(2)
    result = world.bulk([(i, True) for i in items], settler=SignedBallotSettler(deadline_s=-3600))
    assert [(o.settled, o.code) for o in result.outcomes] == [(False, "Expired"), (False, "Expired")]
    assert "deadline has passed" in result.outcomes[0].message and items[0][:13] in result.outcomes[0].message
    assert world.votes() == 0


def test_an_older_review_keeps_one_transaction_per_vote(
    platform: tuple[TestClient, ChainServices], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The choice is made from the review's version: one that answers 2 (the previous factory's reviews,
    tests/chain/test_review_ballots.py runs a real one) settles vote by vote."""
    world = World(platform, "bulk-v2", {"x": 3, "stake_wei": STAKE})
    items = world.upload(3)
    monkeypatch.setattr(type(world.chain.reviews), "review_version", lambda self, dataset: 2)
    with world.db() as db:
        dataset = db.get(Dataset, world.dataset_id)
        assert dataset is not None
        assert isinstance(settler_for(world.chain, dataset), CustodialPerVoteSettler)
    result = world.bulk([(i, True) for i in items])
    assert (result.settled, result.transactions, result.bond_topped_up_wei) == (3, 3, 0)
    assert len({o.tx_hash for o in result.outcomes}) == 3 and "in 3 transactions." in result.sentence()

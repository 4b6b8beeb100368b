"""The review network through the API on the embedded chain: custodial wallets vote, commit, reveal and
claim; the indexer mirrors it; the queue stays blind; quality metrics flag a lazy reviewer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.db.models import ReviewServe, ReviewVote, User
from sebrus.platform import ChainServices
from tests.support.platform import (
    Auth,
    advance_chain,
    create_dataset,
    login,
    review_path,
    running_platform,
    upload,
)

STAKE = 10**15
REWARD = 10**14


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    # The finalizer loop is off here so that the manual finalize below is the one that acts
    # (tests/platform/test_review_finalizer.py covers the loop).
    with running_platform(tmp_path_factory.mktemp("review") / "data", review_finalizer=False) as running:
        yield running


def _wallet(client: TestClient, auth: Auth) -> str:
    wallets = client.get("/api/wallets", headers=auth)
    assert wallets.status_code == 200, wallets.text
    return str(next(w["address"] for w in wallets.json()["wallets"] if w["kind"] == "custodial"))


def _post(
    client: TestClient, path: str, auth: Auth, body: dict[str, Any] | None = None, status: int = 200
) -> Any:
    answer = client.post(path, json=body if body is not None else {}, headers=auth)
    assert answer.status_code == status, answer.text
    return answer.json()


def _paid(services: ChainServices, tx_hash: str) -> int:
    """Gas a transaction cost its sender."""
    ledger = services.handle.ledger
    with ledger.transactor.exclusive():
        receipt = ledger.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def test_plain_review_resolves_pays_winners_and_keeps_the_queue_blind(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor = login(client, "owner1"), login(client, "contrib1")
    r1, r2, r3 = (login(client, f"rev1{n}") for n in "abc")
    dataset = create_dataset(client, owner, "plain", {"x": 2, "stake_wei": STAKE, "reward_wei": REWARD})
    ds = int(dataset["id"])
    assert dataset["review_policy"]["x"] == 2 and dataset["review_policy"]["voters"] == "open"
    funded = _post(client, review_path(ds, "pool/fund"), owner, {"amount_wei": str(10 * REWARD)})
    assert funded["books"]["pool_wei"] == str(10 * REWARD)
    good, pending, bad = (upload(client, contributor, ds, seed) for seed in (1, 2, 3))

    # The contributor never sees their own items; a reviewer sees all three, oldest first, blind.
    assert client.get(review_path(ds, "queue"), headers=contributor).json()["items"] == []
    served = client.get(review_path(ds, "queue"), headers=r1)
    assert served.status_code == 200, served.text
    assert [e["item"]["content_hash"] for e in served.json()["items"]] == [good, pending, bad]
    first = served.json()["items"][0]
    assert (first["stake_wei"], first["reward_wei"], first["votes_needed"], first["mode"]) == (
        str(STAKE), str(REWARD), 2, "plain",
    )  # fmt: skip
    own = client.post(review_path(ds, "items", good, "vote"), json={"approve": True}, headers=contributor)
    assert own.status_code == 403 and own.json()["error"] == "OwnContribution"

    # Two approvals decide `good`; the database follows the chain in the same request.
    first_vote = _post(client, review_path(ds, "items", good, "vote"), r1, {"approve": True})
    assert first_vote["vote"]["side"] == "approve" and first_vote["item"]["status"] == "pending"
    again = client.post(review_path(ds, "items", good, "vote"), json={"approve": True}, headers=r1)
    assert again.status_code == 409 and again.json()["error"] == "AlreadyVoted"
    # Before resolution another reviewer sees no one's vote but their own; the queue shows no tally.
    hidden = client.get(review_path(ds, "items", good, "votes"), headers=r2).json()
    assert (hidden["complete"], hidden["votes"]) == (False, [])
    queue_text = client.get(review_path(ds, "queue"), headers=r2).text
    assert all(word not in queue_text for word in ("approvals", "rejections", "approve_share", '"side"'))
    decided = _post(client, review_path(ds, "items", good, "vote"), r2, {"approve": True})
    assert decided["item"]["status"] == "approved"
    assert services.handle.ledger.get_item(dataset["address"], good).status.label == "approved"  # type: ignore[union-attr]
    shown = client.get(review_path(ds, "items", good, "votes")).json()
    assert shown["complete"] and [v["side"] for v in shown["votes"]] == ["approve", "approve"]
    late = client.post(review_path(ds, "items", good, "vote"), json={"approve": False}, headers=r3)
    assert late.status_code == 409 and late.json()["error"] == "AlreadyResolved"

    # One vote on `pending`: its voter sees it, nobody else does, and it leaves r1's queue only.
    _post(client, review_path(ds, "items", pending, "vote"), r1, {"approve": True})
    mine = client.get(review_path(ds, "items", pending, "votes"), headers=r1).json()
    assert not mine["complete"] and [v["side"] for v in mine["votes"]] == ["approve"]
    assert [
        e["item"]["content_hash"] for e in client.get(review_path(ds, "queue"), headers=r1).json()["items"]
    ] == [bad]
    assert pending in {
        e["item"]["content_hash"] for e in client.get(review_path(ds, "queue"), headers=r3).json()["items"]
    }

    # `bad` is rejected 2-1: the winners claim stake + reward + half the loser's stake; the loser cannot.
    _post(client, review_path(ds, "items", bad, "vote"), r1, {"approve": False})
    _post(client, review_path(ds, "items", bad, "vote"), r2, {"approve": True})
    rejected = _post(client, review_path(ds, "items", bad, "vote"), r3, {"approve": False})
    assert rejected["item"]["status"] == "rejected"
    waiting = client.get("/api/review/claims", headers=r1).json()["claims"]
    expected = STAKE + REWARD + STAKE // 2
    assert {(c["content_hash"], c["amount_wei"]) for c in waiting} == {
        (good, str(STAKE + REWARD)), (bad, str(expected)),
    }  # fmt: skip
    wallet = _wallet(client, r1)
    before = services.handle.ledger.balance(wallet)
    claimed = _post(client, review_path(ds, "items", bad, "claim"), r1)
    assert claimed["amount_wei"] == str(expected)
    assert services.handle.ledger.balance(wallet) == before + expected - _paid(services, claimed["tx_hash"])
    twice = client.post(review_path(ds, "items", bad, "claim"), json={}, headers=r1)
    assert twice.status_code == 409 and twice.json()["error"] == "AlreadyClaimed"
    loser = client.post(review_path(ds, "items", bad, "claim"), json={}, headers=r2)
    assert loser.status_code == 403 and loser.json()["error"] == "NotAWinner"
    history = client.get(review_path(ds, "items", bad, "votes")).json()["votes"]
    assert [(v["side"], v["claimed_wei"]) for v in history] == [
        ("reject", str(expected)), ("approve", None), ("reject", None),
    ]  # fmt: skip

    # The pool: funded, rewards reserved for unclaimed winners, the loser's leftover rounding slashed in.
    pool = client.get(review_path(ds, "pool")).json()
    books = pool["books"]
    assert int(books["balance_wei"]) == sum(
        int(books[k]) for k in ("pool_wei", "stakes_held_wei", "rewards_reserved_wei", "deposits_held_wei")
    )
    assert (pool["funded_wei"], pool["paid_out_wei"], pool["votes"], pool["claims"]) == (
        str(10 * REWARD), str(expected), 6, 1,
    )  # fmt: skip

    # Rejected items never count among the approved ones: the release holds `good` only.
    approved = client.get(f"/api/dataset/{ds}/items", params={"status": "approved"}).json()["items"]
    assert [i["content_hash"] for i in approved] == [good]
    release = _post(client, f"/api/dataset/{ds}/releases", owner, {}, status=201)["release"]
    assert release["item_count"] == 1

    reviewers = {r["username"]: r for r in client.get(review_path(ds, "reviewers")).json()["reviewers"]}
    assert (reviewers["rev1a"]["decided"], reviewers["rev1a"]["coherent"], reviewers["rev1a"]["votes"]) == (
        2,
        2,
        3,
    )
    assert (reviewers["rev1b"]["decided"], reviewers["rev1b"]["coherent"]) == (2, 1)
    assert reviewers["rev1a"]["claimed_wei"] == str(expected)


def test_commit_reveal_hides_the_vote_until_revealed_with_one_click(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, r1, r2 = (login(client, name) for name in ("owner2", "contrib2", "rev2a", "rev2b"))
    policy = {"x": 1, "stake_wei": STAKE, "commit_reveal": True, "commit_window": 600, "reveal_window": 600}
    ds = int(create_dataset(client, owner, "hidden", policy)["id"])
    item = upload(client, contributor, ds, 20)
    assert client.get(review_path(ds, "queue"), headers=r1).json()["items"][0]["mode"] == "commit-reveal"
    plain = client.post(review_path(ds, "items", item, "vote"), json={"approve": True}, headers=r1)
    assert plain.status_code == 400 and "commit" in plain.json()["status"]

    committed = _post(client, review_path(ds, "items", item, "commit"), r1, {"approve": False})
    assert committed["vote"]["side"] is None and committed["item"]["status"] == "pending"
    # x = 1 closes the commit phase at the first commit (2x - 1 ballots).
    closed = client.post(review_path(ds, "items", item, "commit"), json={"approve": True}, headers=r2)
    assert closed.status_code == 409 and closed.json()["error"] == "CommitClosed"
    nothing = client.post(review_path(ds, "items", item, "reveal"), json={}, headers=r2)
    assert nothing.status_code == 409 and nothing.json()["error"] == "NoBallot"

    revealed = _post(client, review_path(ds, "items", item, "reveal"), r1)
    assert revealed["vote"]["side"] == "reject" and revealed["item"]["status"] == "rejected"
    on_chain = services.handle.ledger.get_item(
        str(client.get(f"/api/dataset/{ds}").json()["dataset"]["address"]), item
    )
    assert on_chain is not None and on_chain.status.label == "rejected"
    again = client.post(review_path(ds, "items", item, "reveal"), json={}, headers=r1)
    assert again.status_code == 409 and again.json()["error"] == "AlreadyRevealed"
    claimed = _post(client, review_path(ds, "items", item, "claim"), r1)
    assert claimed["amount_wei"] == str(STAKE)  # no reward in this policy, no losers to share


def test_allow_list_refuses_unlisted_voters_until_the_owner_adds_them(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner, contributor, voter, other = (
        login(client, name) for name in ("owner3", "contrib3", "rev3a", "rev3b")
    )
    ds = int(create_dataset(client, owner, "listed", {"x": 1, "voters": "allow-list"})["id"])
    first = upload(client, contributor, ds, 30)
    refused = client.post(review_path(ds, "items", first, "vote"), json={"approve": True}, headers=voter)
    assert refused.status_code == 403 and refused.json()["error"] == "NotAllowedVoter"
    not_owner = client.post(review_path(ds, "voters"), json={"voter": "rev3a"}, headers=other)
    assert not_owner.status_code == 403

    added = _post(client, review_path(ds, "voters"), owner, {"voter": "rev3a"})
    assert client.get(review_path(ds, "voters")).json()["voters"] == [
        {"address": added["address"], "user_id": _user_id(client, voter)}
    ]
    assert _post(client, review_path(ds, "items", first, "vote"), voter, {"approve": True})["item"][
        "status"
    ] == ("approved")

    # A policy change applies to items submitted after it; earlier ones keep x = 1.
    second = upload(client, contributor, ds, 31)
    changed = client.put(
        review_path(ds, "policy"), json={"policy": {"x": 2, "voters": "allow-list"}}, headers=owner
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 1
    time.sleep(1.1)  # the new terms take effect from the next second
    third = upload(client, contributor, ds, 32)
    needed = {
        e["item"]["content_hash"]: e["votes_needed"]
        for e in client.get(review_path(ds, "queue"), headers=voter).json()["items"]
    }
    assert needed == {second: 1, third: 2}
    removed = client.delete(review_path(ds, "voters", "rev3a"), headers=owner)
    assert removed.status_code == 200, removed.text
    assert client.get(review_path(ds, "voters")).json()["voters"] == []
    gone = client.post(review_path(ds, "items", third, "vote"), json={"approve": True}, headers=voter)
    assert gone.status_code == 403


def _user_id(client: TestClient, auth: Auth) -> int:
    return int(client.get("/api/session/me", headers=auth).json()["user"]["id"])


def test_quality_flags_the_reviewer_who_approves_everything_without_looking(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner, contributor = login(client, "owner4"), login(client, "contrib4")
    lazy, careful = login(client, "lazy4"), login(client, "careful4")
    ds = int(create_dataset(client, owner, "quality", {"x": 1, "stake_wei": STAKE})["id"])
    lazy_items = [upload(client, contributor, ds, 40 + n) for n in range(5)]
    for item in client.get(review_path(ds, "queue"), headers=lazy).json()["items"]:
        _post(client, review_path(ds, "items", item["item"]["content_hash"], "vote"), lazy, {"approve": True})
    careful_items = [upload(client, contributor, ds, 50 + n) for n in range(5)]
    served = [
        e["item"]["content_hash"]
        for e in client.get(review_path(ds, "queue"), headers=careful).json()["items"]
    ]
    assert served == careful_items  # lazy's items are resolved and gone from every queue
    for n, item_hash in enumerate(careful_items):
        _post(client, review_path(ds, "items", item_hash, "vote"), careful, {"approve": n % 2 == 0})
    # The recorded times decide the pace, not how fast this machine ran the requests: the lazy reviewer
    # clicked through their page in a second, the careful one spent a minute on each image.
    _set_pace(client, ds, "lazy4", first_vote_after=0.2, between_votes=0.2)
    _set_pace(client, ds, "careful4", first_vote_after=60, between_votes=60)

    found = {r["username"]: r for r in client.get(review_path(ds, "reviewers")).json()["reviewers"]}
    assert set(found["lazy4"]["flags"]) == {"one-sided", "too-fast"}
    assert found["careful4"]["flags"] == []
    assert found["lazy4"]["approve_share"] == 1.0 and found["careful4"]["approve_share"] == 0.6
    assert found["careful4"]["median_seconds_to_vote"] >= 60
    assert found["lazy4"]["reputation"] < found["careful4"]["reputation"]
    with _db(client) as db:
        assert db.scalar(select(ReviewVote.side).where(ReviewVote.content_hash == lazy_items[0])) == "approve"


def _set_pace(
    client: TestClient, dataset_id: int, username: str, *, first_vote_after: float, between_votes: float
) -> None:
    """Rewrite ``username``'s serve and vote times on the dataset: every item served at one moment, the
    first vote ``first_vote_after`` seconds later, each next one ``between_votes`` seconds after that."""
    with _db(client) as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
        votes = list(
            db.scalars(
                select(ReviewVote)
                .where(ReviewVote.dataset_id == dataset_id, ReviewVote.voter_user_id == user_id)
                .order_by(ReviewVote.id)
            )
        )
        serves = {
            row.item_id: row
            for row in db.scalars(
                select(ReviewServe).where(
                    ReviewServe.dataset_id == dataset_id, ReviewServe.user_id == user_id
                )
            )
        }
        served_at = votes[0].cast_at - timedelta(hours=1)
        for n, vote in enumerate(votes):
            serves[vote.item_id].served_at = served_at
            vote.cast_at = served_at + timedelta(seconds=first_vote_after + n * between_votes)
        db.commit()


def _db(client: TestClient) -> Any:
    return client.app.state.platform.session_factory()  # type: ignore[attr-defined]


def test_x_zero_items_skip_the_queue_and_finalize_to_approved(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, reviewer = (login(client, name) for name in ("owner5", "contrib5", "rev5"))
    ds = int(create_dataset(client, owner, "trusted", {"x": 0})["id"])
    item = upload(client, contributor, ds, 60)
    assert client.get(review_path(ds, "queue"), headers=reviewer).json()["items"] == []
    refused = client.post(review_path(ds, "items", item, "vote"), json={"approve": False}, headers=reviewer)
    assert refused.status_code == 409 and refused.json()["error"] == "NoVoteNeeded"
    # Not before the grace in which a scan may still quarantine it (issue 15 item 1).
    early = client.post(review_path(ds, "items", item, "finalize"), headers=reviewer)
    assert early.status_code == 409 and early.json()["error"] == "FinalizeTooEarly"
    advance_chain(services, int(early.headers["Retry-After"]) + 1)
    finalized = _post(client, review_path(ds, "items", item, "finalize"), reviewer)
    assert finalized["item"]["status"] == "approved"

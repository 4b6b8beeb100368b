"""Issue 15 item 9: the dataset's owner revokes the review's resolver role during a vote.

The deciding vote then cannot resolve the item. Once the round has stalled for the Review's
STALL_TIMEOUT, anyone's finalize expires it: the index marks its ballots "expired", each voter
claims their stake back through the API, the reserved rewards are back in the pool, and the item
returns to the queue for a new round.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.chain.review_types import STALL_TIMEOUT_SECONDS
from sebrus.db.models import ReviewVote, Wallet
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

Platform = tuple[TestClient, ChainServices]
STAKE = 10**15
REWARD = 10**14


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("stall") / "data", review_finalizer=False) as running:
        yield running


def _post(
    client: TestClient, path: str, auth: Auth, body: dict[str, object] | None = None
) -> dict[str, object]:
    answer = client.post(path, json=body or {}, headers=auth)
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_a_frozen_round_expires_and_every_voter_claims_their_stake_back(platform: Platform) -> None:
    client, services = platform
    owner, contributor = login(client, "frozen-owner"), login(client, "frozen-contrib")
    r1, r2, r3 = (login(client, f"frozen-rev{n}") for n in range(3))
    dataset = create_dataset(client, owner, "frozen", {"x": 2, "stake_wei": STAKE, "reward_wei": REWARD})
    ds, address = int(dataset["id"]), str(dataset["address"])
    _post(client, review_path(ds, "pool/fund"), owner, {"amount_wei": str(10 * REWARD)})
    item = upload(client, contributor, ds, 7)
    _post(client, review_path(ds, "items", item, "vote"), r1, {"approve": True})
    _post(client, review_path(ds, "items", item, "vote"), r2, {"approve": False})

    reviews = services.handle.reviews
    assert reviews is not None
    review = reviews.require_review(address)
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        wallet = db.scalar(
            select(Wallet).where(Wallet.address == services.handle.ledger.dataset(address).owner)
        )
        assert wallet is not None
        owner_key = services.link.signer_for(wallet)
    services.handle.ledger.revoke_role(owner_key, address, "resolver", review)
    decisive = client.post(review_path(ds, "items", item, "vote"), json={"approve": True}, headers=r3)
    assert decisive.status_code >= 400  # the deciding vote cannot resolve the item

    early = client.post(review_path(ds, "items", item, "finalize"), headers=r3)
    assert early.status_code == 409 and early.json()["error"] == "NothingToFinalize"
    advance_chain(services, STALL_TIMEOUT_SECONDS + 1)
    _post(client, review_path(ds, "items", item, "finalize"), r3)

    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        states = set(db.scalars(select(ReviewVote.round_state).where(ReviewVote.content_hash == item)))
    assert states == {"expired"}
    waiting = client.get("/api/review/claims", headers=r1).json()["claims"]
    assert [(c["content_hash"], c["round"], c["amount_wei"]) for c in waiting] == [(item, 0, str(STAKE))]
    for voter in (r1, r2):
        claimed = _post(client, review_path(ds, "items", item, "claim"), voter, {"round": 0})
        assert claimed["amount_wei"] == str(STAKE)
    books = reviews.books(address)
    assert (books.stakes_held_wei, books.rewards_reserved_wei, books.pool_wei) == (0, 0, 10 * REWARD)
    assert books.balance_wei == 10 * REWARD
    # The item is open again: the next vote opens round 1 (once the owner lets the review resolve).
    assert item in [
        e["item"]["content_hash"] for e in client.get(review_path(ds, "queue"), headers=r1).json()["items"]
    ]

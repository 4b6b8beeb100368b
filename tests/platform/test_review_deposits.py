"""A contributor's review deposit through the API on the embedded chain: paid from the custodial wallet,
it opens review (and lets the finalizer approve an x = 0 item); refunded once the item is approved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.db.models import AuditLogEntry, Item, ItemStatus
from sebrus.platform import ChainServices
from tests.support.platform import Auth, create_dataset, login, review_path, running_platform, upload

DEPOSIT = 3 * 10**15
STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(
        tmp_path_factory.mktemp("deposits") / "data",
        review_finalizer_seconds=0.2,
        review_no_vote_grace_seconds=0,
    ) as running:
        yield running


def _post(
    client: TestClient, path: str, auth: Auth, status: int = 200, body: dict[str, Any] | None = None
) -> Any:
    answer = client.post(path, json=body if body is not None else {}, headers=auth)
    assert answer.status_code == status, answer.text
    return answer.json()


def _status(client: TestClient, dataset_id: int, content_hash: str) -> ItemStatus:
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        status = db.scalar(
            select(Item.status).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash)
        )
    assert status is not None
    return status


def _wallet(client: TestClient, auth: Auth) -> str:
    wallets = client.get("/api/wallets", headers=auth).json()["wallets"]
    return str(next(w["address"] for w in wallets if w["kind"] == "custodial"))


def test_paying_the_deposit_opens_voting_and_the_refund_comes_back_after_approval(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, reviewer = (login(client, n) for n in ("dp-owner", "dp-contrib", "dp-rev"))
    policy = {"x": 1, "stake_wei": STAKE, "deposit_wei": DEPOSIT}
    ds = int(create_dataset(client, owner, "deposit-vote", policy)["id"])
    item = upload(client, contributor, ds, 1)
    path = review_path(ds, "items", item, "deposit")

    blocked = _post(client, review_path(ds, "items", item, "vote"), reviewer, 409, {"approve": True})
    assert blocked["error"] == "DepositRequired"
    assert _post(client, path, reviewer, 403)["error"] == "NotContributor"
    early = _post(client, path + "/claim", contributor, 409)
    assert early["error"] == "DepositNotRefundable"

    ledger = services.handle.ledger
    address = _wallet(client, contributor)
    before = ledger.balance(address)
    paid = _post(client, path, contributor)
    assert paid["amount_wei"] == str(DEPOSIT) and paid["item"]["status"] == "pending"
    assert before - ledger.balance(address) >= DEPOSIT
    assert _post(client, path, contributor, 409)["error"] == "DepositAlreadyPaid"
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        audited = db.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "review.deposit"))
    assert audited is not None and audited.details["content_hash"] == item

    voted = _post(client, review_path(ds, "items", item, "vote"), reviewer, body={"approve": True})
    assert voted["item"]["status"] == "approved"
    before_refund = ledger.balance(address)
    refunded = _post(client, path + "/claim", contributor)
    assert refunded["amount_wei"] == str(DEPOSIT)
    gained = ledger.balance(address) - before_refund
    assert DEPOSIT - 10**15 < gained < DEPOSIT  # the deposit back, less the claim's gas
    assert _post(client, path + "/claim", contributor, 409)["error"] == "AlreadyClaimed"
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        refunds = list(
            db.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "review.deposit-refund"))
        )
    assert [r.details["amount_wei"] for r in refunds] == [str(DEPOSIT)]
    assert refunds[0].details["tx_hash"] == refunded["tx_hash"]


def test_an_x_zero_item_is_approved_by_the_finalizer_once_its_deposit_is_paid(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, _ = platform
    owner, contributor = login(client, "dz-owner"), login(client, "dz-contrib")
    ds = int(create_dataset(client, owner, "deposit-x0", {"x": 0, "deposit_wei": DEPOSIT})["id"])
    item = upload(client, contributor, ds, 2)
    # The finalizer leaves it Pending: the contract would refuse (DepositRequired).
    assert _status(client, ds, item) is ItemStatus.PENDING
    _post(client, review_path(ds, "items", item, "deposit"), contributor)
    deadline = time.monotonic() + 30
    while _status(client, ds, item) is not ItemStatus.APPROVED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(client, ds, item) is ItemStatus.APPROVED


def test_a_policy_without_deposit_refuses_one(platform: tuple[TestClient, ChainServices]) -> None:
    client, _ = platform
    owner, contributor = login(client, "dn-owner"), login(client, "dn-contrib")
    ds = int(create_dataset(client, owner, "no-deposit", {"x": 1})["id"])
    item = upload(client, contributor, ds, 3)
    refused = _post(client, review_path(ds, "items", item, "deposit"), contributor, 409)
    assert refused["error"] == "NoDepositRequired"
    missing = _post(client, review_path(ds, "items", "ab" * 32, "deposit"), contributor, 404)
    assert "no item" in missing["status"]

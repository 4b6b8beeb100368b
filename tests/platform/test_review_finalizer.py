"""The review finalizer on the embedded chain: x = 0 items are approved and closed commit-reveal rounds
are settled or failed without anyone calling finalize; passes are idempotent and bounded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review_types import RoundState
from sebrus.db.models import Item, ItemStatus, ReviewDeadline, ReviewVote, Wallet
from sebrus.db.models.review_deadlines import AWAITING_DEPOSIT, DONE, DUE, NO_VOTE, REVEAL
from sebrus.platform import ChainServices
from sebrus.services.review.finalizer import ReviewFinalizer
from tests.support.platform import Auth, create_dataset, login, review_path, running_platform, upload

STAKE = 10**15
WINDOW = 60


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    """The loop switched off: each test drives its own finalizer pass by pass."""
    data_dir = tmp_path_factory.mktemp("finalizer") / "data"
    # No grace: policies get finalize_delay 0 on chain, and each finalizer below chooses its own grace.
    with running_platform(data_dir, review_finalizer=False, review_no_vote_grace_seconds=0) as running:
        yield running


def _db(client: TestClient) -> Session:
    return client.app.state.platform.session_factory()  # type: ignore[attr-defined, no-any-return]


def _finalizer(client: TestClient, services: ChainServices, **options: int) -> ReviewFinalizer:
    """A finalizer with no grace period unless a test asks for one."""
    assert services.handle.reviews is not None

    def sync() -> None:
        services.indexer.sync()

    return ReviewFinalizer(
        client.app.state.platform.session_factory,  # type: ignore[attr-defined]
        services.handle.reviews,
        services.handle.operators.detector,
        after_finalize=sync,
        **{"no_vote_grace_seconds": 0, **options},
    )


def _status(client: TestClient, dataset_id: int, content_hash: str) -> ItemStatus:
    with _db(client) as db:
        status = db.scalar(
            select(Item.status).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash)
        )
    assert status is not None
    return status


def _rows(client: TestClient, dataset_id: int, content_hash: str, kind: str) -> list[ReviewDeadline]:
    with _db(client) as db:
        return list(
            db.scalars(
                select(ReviewDeadline)
                .where(
                    ReviewDeadline.dataset_id == dataset_id,
                    ReviewDeadline.content_hash == content_hash,
                    ReviewDeadline.kind == kind,
                )
                .order_by(ReviewDeadline.round)
            )
        )


def _advance(services: ChainServices, seconds: int) -> None:
    """Move the embedded chain's clock on and mine a block at the new time."""
    ledger = services.handle.ledger
    with ledger.transactor.exclusive():
        tester = ledger.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.time_travel(int(ledger.w3.eth.get_block("latest")["timestamp"]) + seconds)
        tester.mine_blocks(1)


def _post(client: TestClient, path: str, auth: Auth, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _address(client: TestClient, dataset_id: int) -> str:
    return str(client.get(f"/api/dataset/{dataset_id}").json()["dataset"]["address"])


def test_the_setting_turns_the_loop_off(manual: tuple[TestClient, ChainServices]) -> None:
    client, services = manual
    assert services.finalizer is None and services.finalizer_loop is None
    assert not [t for t in threading.enumerate() if t.name == "review-finalizer"]
    owner, contributor = login(client, "off-owner"), login(client, "off-contrib")
    ds = int(create_dataset(client, owner, "off", {"x": 0})["id"])
    item = upload(client, contributor, ds, 1)
    services.indexer.sync()
    assert _status(client, ds, item) is ItemStatus.PENDING


def test_x_zero_items_are_approved_once_and_a_second_pass_does_nothing(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor = login(client, "x0-owner"), login(client, "x0-contrib")
    ds = int(create_dataset(client, owner, "x0", {"x": 0})["id"])
    voted = int(create_dataset(client, owner, "x1", {"x": 1})["id"])
    items = [upload(client, contributor, ds, 10 + n) for n in range(3)]
    needs_a_vote = upload(client, contributor, voted, 20)
    finalizer = _finalizer(client, services)

    first = finalizer.run_once()
    assert first.classified >= 4 and len(first.finalized) >= 3
    for item in items:
        assert _status(client, ds, item) is ItemStatus.APPROVED
        [row] = _rows(client, ds, item, NO_VOTE)
        assert row.state == DONE and row.tx_hash in first.finalized
    assert _status(client, voted, needs_a_vote) is ItemStatus.PENDING  # x = 1: left to the reviewers
    assert _rows(client, voted, needs_a_vote, NO_VOTE) == []

    block = services.handle.ledger.block_number()
    assert finalizer.step() == 0
    assert services.handle.ledger.block_number() == block  # no transaction sent


def test_a_finalize_someone_else_sent_first_is_tolerated(
    manual: tuple[TestClient, ChainServices], caplog: pytest.LogCaptureFixture
) -> None:
    client, services = manual
    owner, contributor = login(client, "race-owner"), login(client, "race-contrib")
    ds = int(create_dataset(client, owner, "race", {"x": 0})["id"])
    finalizer = _finalizer(client, services)
    finalizer.run_once()  # earlier tests' leftovers out of the way
    services.indexer_loop.stop()  # so the database still shows the item Pending when the pass reads it
    try:
        item = upload(client, contributor, ds, 30)
        # Someone finalizes on chain directly, before the finalizer's pass and before the index knows.
        reviews = services.handle.reviews
        assert reviews is not None
        reviews.finalize(services.handle.operators.relayer, _address(client, ds), item)
        with caplog.at_level(logging.INFO, logger="sebrus.services.review.finalizer"):
            raced = finalizer.run_once()
    finally:
        services.indexer_loop.start()
    assert raced.closed == 1 and raced.finalized == [] and raced.failed == 0
    [row] = _rows(client, ds, item, NO_VOTE)
    assert row.state == DONE and row.tx_hash is None and row.attempts == 0
    assert any(r.levelno == logging.INFO and "NothingToFinalize" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    services.indexer.sync()
    assert _status(client, ds, item) is ItemStatus.APPROVED


def test_a_crash_between_sending_and_recording_repeats_harmlessly(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor = login(client, "crash-owner"), login(client, "crash-contrib")
    ds = int(create_dataset(client, owner, "crash", {"x": 0})["id"])
    item = upload(client, contributor, ds, 40)
    finalizer = _finalizer(client, services)
    assert finalizer.run_once().finalized
    with _db(client) as db:  # as if the process died after the transaction, before the commit
        [row] = db.scalars(select(ReviewDeadline).where(ReviewDeadline.content_hash == item))
        row.state, row.tx_hash = DUE, None
        db.commit()
    again = finalizer.run_once()
    assert again.finalized == [] and again.closed == 1
    assert _rows(client, ds, item, NO_VOTE)[0].state == DONE
    assert _status(client, ds, item) is ItemStatus.APPROVED


def test_an_undecided_commit_reveal_round_fails_once_its_reveal_window_closes(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor, r1 = (login(client, n) for n in ("cr-owner", "cr-contrib", "cr-rev"))
    # x = 2: one commit does not close the commit phase, so the index learns the deadline from the chain.
    policy = {
        "x": 2,
        "stake_wei": STAKE,
        "commit_reveal": True,
        "commit_window": WINDOW,
        "reveal_window": WINDOW,
    }
    ds = int(create_dataset(client, owner, "undecided", policy)["id"])
    item = upload(client, contributor, ds, 50)
    _post(client, review_path(ds, "items", item, "commit"), r1, {"approve": True})
    finalizer = _finalizer(client, services)

    early = finalizer.run_once()
    assert early.finalized == []
    [row] = _rows(client, ds, item, REVEAL)
    reviews = services.handle.reviews
    assert reviews is not None
    info = reviews.round_info(_address(client, ds), item, 0)
    assert row.state == DUE and row.due_at == info.reveal_ends > 0
    assert finalizer.step() == 0  # not due yet: nothing sent, nothing changed

    _advance(services, 2 * WINDOW + 1)
    late = finalizer.run_once()
    assert len(late.finalized) == 1
    assert reviews.round_info(_address(client, ds), item, 0).state is RoundState.FAILED
    assert _rows(client, ds, item, REVEAL)[0].state == DONE
    with _db(client) as db:
        assert db.scalar(select(ReviewVote.round_state).where(ReviewVote.content_hash == item)) == "failed"
    assert _status(client, ds, item) is ItemStatus.PENDING  # a failed round decides nothing
    assert finalizer.step() == 0


def test_a_decided_round_with_an_unrevealed_commit_is_settled_after_the_window(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor = login(client, "st-owner"), login(client, "st-contrib")
    voters = [login(client, f"st-rev{n}") for n in range(3)]
    policy = {
        "x": 2,
        "stake_wei": STAKE,
        "commit_reveal": True,
        "commit_window": WINDOW,
        "reveal_window": WINDOW,
    }
    ds = int(create_dataset(client, owner, "settle", policy)["id"])
    item = upload(client, contributor, ds, 60)
    for voter in voters:  # the third commit (2x - 1) closes the commit phase
        _post(client, review_path(ds, "items", item, "commit"), voter, {"approve": True})
    [row] = _rows(client, ds, item, REVEAL)
    assert row.due_at is not None  # from CommitPhaseClosed, without asking the chain
    for voter in voters[:2]:
        _post(client, review_path(ds, "items", item, "reveal"), voter, {})
    assert _status(client, ds, item) is ItemStatus.APPROVED
    reviews = services.handle.reviews
    assert reviews is not None
    assert not reviews.round_info(_address(client, ds), item, 0).settled  # one commit still unrevealed

    finalizer = _finalizer(client, services)
    assert finalizer.run_once().finalized == []
    _advance(services, WINDOW + 1)
    assert len(finalizer.run_once().finalized) == 1
    assert reviews.round_info(_address(client, ds), item, 0).settled
    assert _rows(client, ds, item, REVEAL)[0].state == DONE
    assert finalizer.step() == 0


def test_the_loop_approves_x_zero_items_with_nobody_calling_finalize(
    tmp_path: Any,
) -> None:
    with running_platform(
        tmp_path / "data", review_finalizer_seconds=0.2, review_no_vote_grace_seconds=0
    ) as (client, services):
        assert services.finalizer_loop is not None
        owner, contributor = login(client, "loop-owner"), login(client, "loop-contrib")
        ds = int(create_dataset(client, owner, "loop", {"x": 0})["id"])
        item = upload(client, contributor, ds, 70)
        deadline = time.monotonic() + 30
        while _status(client, ds, item) is not ItemStatus.APPROVED and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _status(client, ds, item) is ItemStatus.APPROVED
        [row] = _rows(client, ds, item, NO_VOTE)
        ledger = services.handle.ledger
        with ledger.transactor.exclusive():
            sender = ledger.w3.eth.get_transaction(row.tx_hash)["from"]  # type: ignore[arg-type]
        assert sender == services.handle.operators.detector.address


def test_each_item_is_judged_by_the_policy_in_force_when_it_was_submitted(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor = login(client, "pv-owner"), login(client, "pv-contrib")
    ds = int(create_dataset(client, owner, "versions", {"x": 0})["id"])
    before = upload(client, contributor, ds, 80)
    changed = client.put(review_path(ds, "policy"), json={"policy": {"x": 1}}, headers=owner)
    assert changed.status_code == 200, changed.text
    _advance(services, 2)  # past the new version's effectiveFrom (the change's block time + 1 s)
    after = upload(client, contributor, ds, 81)
    _finalizer(client, services).run_once()
    assert _status(client, ds, before) is ItemStatus.APPROVED  # still under x = 0
    assert _status(client, ds, after) is ItemStatus.PENDING  # x = 1: waits for a vote
    assert _rows(client, ds, after, NO_VOTE) == []


def test_an_x_zero_item_asking_a_deposit_waits_for_it(manual: tuple[TestClient, ChainServices]) -> None:
    client, services = manual
    owner, contributor = login(client, "dep-owner"), login(client, "dep-contrib")
    ds = int(create_dataset(client, owner, "deposit", {"x": 0, "deposit_wei": STAKE})["id"])
    item = upload(client, contributor, ds, 90)
    finalizer = _finalizer(client, services)
    assert finalizer.run_once().finalized == []
    [row] = _rows(client, ds, item, NO_VOTE)
    assert row.state == AWAITING_DEPOSIT
    assert _status(client, ds, item) is ItemStatus.PENDING

    with _db(client) as db:
        wallet = db.scalar(
            select(Wallet).where(
                Wallet.address
                == select(Item.contributor_address).where(Item.content_hash == item).scalar_subquery()
            )
        )
        assert wallet is not None
        signer = services.link.signer_for(wallet)
    reviews = services.handle.reviews
    assert reviews is not None
    reviews.deposit(signer, _address(client, ds), item)
    services.indexer.sync()  # DepositPaid makes the row due at once
    assert _rows(client, ds, item, NO_VOTE)[0].state == DUE
    assert len(finalizer.run_once().finalized) == 1
    assert _status(client, ds, item) is ItemStatus.APPROVED


def test_an_x_zero_item_waits_out_the_grace_period_and_a_quarantine_in_it_needs_a_vote(
    manual: tuple[TestClient, ChainServices],
) -> None:
    client, services = manual
    owner, contributor = login(client, "grace-owner"), login(client, "grace-contrib")
    ds = int(create_dataset(client, owner, "grace", {"x": 0})["id"])
    waits, flagged = upload(client, contributor, ds, 90), upload(client, contributor, ds, 91)
    finalizer = _finalizer(client, services, no_vote_grace_seconds=WINDOW)
    assert finalizer.run_once().finalized == []
    assert _status(client, ds, waits) is ItemStatus.PENDING  # a scan may still look at it

    # A scan quarantines one of them inside the grace period: it now needs a human vote.
    services.handle.ledger.quarantine(
        services.handle.operators.detector, _address(client, ds), flagged, "ab" * 32
    )
    services.indexer.sync()
    _advance(services, WINDOW + 1)
    finalizer.run_once()
    assert _status(client, ds, waits) is ItemStatus.APPROVED
    assert _status(client, ds, flagged) is ItemStatus.QUARANTINED
    assert [r.state for r in _rows(client, ds, flagged, NO_VOTE)] == [DONE]
    assert finalizer.step() == 0


def test_a_policy_delay_longer_than_the_grace_reschedules_instead_of_failing(
    manual: tuple[TestClient, ChainServices],
) -> None:
    """The chain holds an x = 0 item for its policy's finalize_delay (issue 15 item 1): the finalizer,
    whose own grace is shorter, is refused with FinalizeTooEarly and waits for the time it names."""
    client, services = manual
    owner, contributor = login(client, "delay-owner"), login(client, "delay-contrib")
    ds = int(create_dataset(client, owner, "delay", {"x": 0, "finalize_delay": WINDOW})["id"])
    item = upload(client, contributor, ds, 95)
    finalizer = _finalizer(client, services)  # no grace of its own
    first = finalizer.run_once()
    assert first.finalized == [] and first.failed == 0
    assert _status(client, ds, item) is ItemStatus.PENDING
    (row,) = _rows(client, ds, item, NO_VOTE)
    assert row.state == DUE and row.attempts == 0
    with _db(client) as db:
        block = db.scalar(select(Item.block_number).where(Item.content_hash == item))
    anchored = int(services.handle.ledger.w3.eth.get_block(block)["timestamp"])
    assert row.due_at == anchored + WINDOW
    _advance(services, WINDOW + 1)
    assert len(finalizer.run_once().finalized) == 1
    assert _status(client, ds, item) is ItemStatus.APPROVED


def test_the_finalizer_never_spends_the_reserve_kept_for_quarantines(
    manual: tuple[TestClient, ChainServices], caplog: pytest.LogCaptureFixture
) -> None:
    client, services = manual
    owner, contributor = login(client, "poor-owner"), login(client, "poor-contrib")
    ds = int(create_dataset(client, owner, "poor", {"x": 0})["id"])
    item = upload(client, contributor, ds, 95)
    detector = services.handle.operators.detector.address
    broke = _finalizer(client, services, reserve_wei=services.handle.ledger.balance(detector) + 1)
    block = services.handle.ledger.block_number()
    with caplog.at_level(logging.ERROR, logger="sebrus.services.review.finalizer"):
        assert broke.run_once().finalized == [] and broke.run_once().finalized == []
    assert services.handle.ledger.block_number() == block  # nothing sent
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1  # said once
    assert "below the" in caplog.records[0].message and detector in caplog.records[0].message
    assert [r.state for r in _rows(client, ds, item, NO_VOTE)] == [DUE]
    assert _status(client, ds, item) is ItemStatus.PENDING
    assert len(_finalizer(client, services).run_once().finalized) == 1  # funded: it goes on
    assert _status(client, ds, item) is ItemStatus.APPROVED

"""The review methods' typed answers: wei as int, times as datetime, and the server's document kept."""

from __future__ import annotations

from datetime import datetime

from sebrus.sdk.review_models import BulkVotes, ItemVotes, ReviewPolicy, ReviewPool, VoteReceipt

ITEM = {
    "id": 1,
    "dataset_id": 2,
    "content_hash": "ab" * 32,
    "label": "cat",
    "status": "rejected",
    "contributor": "0x" + "11" * 20,
    "contributor_user_id": 3,
    "tx_hash": "0x" + "22" * 32,
    "block_number": 7,
    "log_index": 0,
    "size": 100,
    "width": 8,
    "height": 8,
    "media_type": "image/png",
    "created_at": "2026-01-02T03:04:05+00:00",
}
BALLOT = {
    "content_hash": "ab" * 32,
    "round": 0,
    "voter": "0x" + "33" * 20,
    "voter_user_id": 4,
    "side": "reject",
    "revealed": True,
    "stake_wei": str(10**15),
    "round_state": "settled",
    "cast_at": "2026-01-02T03:05:00+00:00",
    "revealed_at": None,
    "tx_hash": "0x" + "44" * 32,
    "block_number": 9,
    "claimed_wei": str(10**15 + 1000),
}


def test_a_vote_receipt_reads_the_item_and_the_ballot() -> None:
    document = {"status": "Vote cast.", "tx_hash": "0x" + "55" * 32, "item": ITEM, "vote": BALLOT}
    receipt = VoteReceipt.from_json(document)
    assert receipt.message == "Vote cast." and receipt.item.status == "rejected"
    assert receipt.vote is not None and receipt.vote.stake_wei == 10**15
    assert receipt.vote.claimed_wei == 10**15 + 1000 and receipt.vote.revealed_at is None
    assert receipt.vote.cast_at == datetime.fromisoformat("2026-01-02T03:05:00+00:00")
    assert receipt.to_dict() == document  # what --json prints: the server's document


def test_item_votes_and_the_pool_keep_wei_exact() -> None:
    votes = ItemVotes.from_json({"status": "Success.", "item": ITEM, "complete": True, "votes": [BALLOT]})
    assert votes.complete and [v.side for v in votes.votes] == ["reject"]
    books = {k: str(2**80) for k in ("pool_wei", "stakes_held_wei", "rewards_reserved_wei")}
    books |= {"deposits_held_wei": "0", "balance_wei": str(3 * 2**80)}
    pool = ReviewPool.from_json(
        {
            "status": "Success.",
            "books": books,
            "funded_wei": "5000",
            "withdrawn_wei": "0",
            "paid_out_wei": "0",
            "slashed_to_pool_wei": "0",
            "votes": 1,
            "claims": 0,
            "recent": [],
        }
    )
    assert pool.books.pool_wei == 2**80 and pool.funded_wei == 5000 and pool.recent == []


def test_a_policy_read_and_a_policy_change() -> None:
    terms = {"x": 1, "voters": "open", "stake_wei": "1000"}
    read = ReviewPolicy.from_json(
        {
            "status": "Success.",
            "review": "0x" + "66" * 20,
            "version": 0,
            "versions": 1,
            "effective_from": 5,
            "policy": terms,
        }
    )
    assert (read.version, read.versions, read.terms["x"]) == (0, 1, 1)
    changed = ReviewPolicy.from_json(
        {"status": "Policy changed.", "version": 1, "effective_from": 9, "policy": terms}
    )
    assert changed.review is None and changed.versions is None and changed.version == 1


def test_bulk_votes_read_each_outcome_and_the_settlement_time() -> None:
    settled = {
        "sha256": "abab",
        "content_hash": "ab" * 32,
        "decision": "approve",
        "outcome": "settled",
        "message": "Vote cast.",
        "error": None,
        "tx_hash": "0x" + "55" * 32,
        "item": ITEM,
    }
    refused = {
        **settled,
        "sha256": "cd" * 32,
        "content_hash": "cd" * 32,
        "decision": "reject",
        "outcome": "refused",
        "message": "Item cdcdcdcdcdcdc: You have already voted on this item in this round.",
        "error": "AlreadyVoted",
        "tx_hash": None,
        "item": None,
    }
    document = {
        "status": "1 vote settled in 0.4 s (1 transaction). 1 refused: see each entry.",
        "settled": 1,
        "refused": 1,
        "settlement_seconds": 0.412,
        "transactions": 1,
        "gas_used": 120000,
        "settler": "custodial, one transaction per vote",
        "outcomes": [settled, refused],
    }
    answer = BulkVotes.from_json(document)
    assert (answer.settled, answer.refused, answer.settlement_seconds) == (1, 1, 0.412)
    first, second = answer.outcomes
    assert first.settled and first.approve and first.item is not None and first.sha256 == "abab"
    assert (
        not second.settled and not second.approve and second.error == "AlreadyVoted" and second.item is None
    )
    assert answer.to_dict() == document

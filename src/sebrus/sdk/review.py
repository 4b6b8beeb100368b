"""Review methods of :class:`sebrus.Client`: the reviewer's loop and the owner's tools.

A mixin, like releases; it relies only on the client's ``_json``. Answers are typed
(:mod:`sebrus.sdk.review_models`: amounts in ``int`` wei, times as ``datetime``; ``to_dict()`` gives the
server's document); a refusal raises the SDK's error for its status, whose message starts with the
contract's error name (``AlreadyVoted: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sebrus.sdk.review_models import (
    AllowedVoter,
    BulkVotes,
    ClaimedAll,
    ClaimReceipt,
    ClaimWaiting,
    DepositReceipt,
    DepositsPaid,
    ItemFinalized,
    ItemVotes,
    PoolChange,
    QueueEntry,
    ReviewBond,
    Reviewer,
    ReviewPolicy,
    ReviewPool,
    VoteReceipt,
)


def _path(dataset_id: int, *parts: str) -> str:
    return "/".join([f"/api/dataset/{int(dataset_id)}/review", *parts])


class ReviewMethods:
    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    # -- the reviewer ---------------------------------------------------------------------------------

    def review_queue(self, dataset_id: int, limit: int = 20) -> list[QueueEntry]:
        """Items waiting for your vote, oldest first: blind (no tallies) and never your own."""
        answer = self._json("GET", _path(dataset_id, "queue"), params={"limit": limit})
        return [QueueEntry.from_json(e) for e in answer["items"]]

    def vote(self, dataset_id: int, sha256: str, approve: bool) -> VoteReceipt:
        """A plain vote with the policy's stake, signed by your custodial wallet."""
        answer = self._json(
            "POST", _path(dataset_id, "items", sha256, "vote"), json={"approve": bool(approve)}
        )
        return VoteReceipt.from_json(answer)

    def vote_many(self, dataset_id: int, decisions: Iterable[tuple[str, bool]]) -> BulkVotes:
        """Plain votes on many items in one request: ``(sha256 or a unique start of it, approve)`` each.

        The server checks every entry before sending anything: a submission naming an unknown item or one
        item twice is refused whole (an error); an entry that cannot be voted on now is refused in its
        outcome while the others settle. The answer says how long settlement took."""
        votes = [
            {"sha256": ref, "decision": "approve" if approve else "reject"} for ref, approve in decisions
        ]
        return BulkVotes.from_json(self._json("POST", _path(dataset_id, "votes"), json={"votes": votes}))

    def commit_vote(self, dataset_id: int, sha256: str, approve: bool) -> VoteReceipt:
        """A hidden vote (commit-reveal policies); the server keeps what it needs to reveal it."""
        answer = self._json(
            "POST", _path(dataset_id, "items", sha256, "commit"), json={"approve": bool(approve)}
        )
        return VoteReceipt.from_json(answer)

    def reveal_vote(self, dataset_id: int, sha256: str) -> VoteReceipt:
        return VoteReceipt.from_json(
            self._json("POST", _path(dataset_id, "items", sha256, "reveal"), json={})
        )

    def finalize_item(self, dataset_id: int, sha256: str) -> ItemFinalized:
        """Approve an x = 0 item, or settle or fail a commit-reveal round whose time is up."""
        answer = self._json("POST", _path(dataset_id, "items", sha256, "finalize"), json={})
        return ItemFinalized.from_json(answer)

    def pay_deposit(self, dataset_id: int, sha256: str) -> DepositReceipt:
        """Pay your item's review deposit from your custodial wallet, so that its review opens."""
        answer = self._json("POST", _path(dataset_id, "items", sha256, "deposit"), json={})
        return DepositReceipt.from_json(answer)

    def pay_all_deposits(self, dataset_id: int) -> DepositsPaid:
        """Pay every review deposit due on your items in the dataset, at once (one batched
        transaction on reviews of version 3 or later, one each on older ones)."""
        return DepositsPaid.from_json(self._json("POST", _path(dataset_id, "deposits"), json={}))

    def claim_deposit(self, dataset_id: int, sha256: str) -> DepositReceipt:
        """Take back the deposit of your approved item."""
        answer = self._json("POST", _path(dataset_id, "items", sha256, "deposit", "claim"), json={})
        return DepositReceipt.from_json(answer)

    def claim(self, dataset_id: int, sha256: str, round_index: int | None = None) -> ClaimReceipt:
        """Collect your payout for the item (your latest round unless ``round_index`` says otherwise)."""
        answer = self._json("POST", _path(dataset_id, "items", sha256, "claim"), json={"round": round_index})
        return ClaimReceipt.from_json(answer)

    def claim_all(self, dataset_id: int) -> ClaimedAll:
        """Claim every payout waiting for you on the dataset at once (one relayed transaction into your
        review bond on reviews of version 3 or later, one claim each on older ones)."""
        return ClaimedAll.from_json(self._json("POST", _path(dataset_id, "claims"), json={}))

    def claims_waiting(self, dataset_id: int | None = None) -> list[ClaimWaiting]:
        answer = self._json("GET", "/api/review/claims", params={"dataset_id": dataset_id})
        return [ClaimWaiting.from_json(c) for c in answer["claims"]]

    def item_votes(self, dataset_id: int, sha256: str) -> ItemVotes:
        """Everyone's ballots once the item is resolved (``complete``); before that, only yours."""
        return ItemVotes.from_json(self._json("GET", _path(dataset_id, "items", sha256, "votes")))

    def reviewers(self, dataset_id: int) -> list[Reviewer]:
        """Coherence, counts, earnings, reputation and flags of every voter on the dataset."""
        return [Reviewer.from_json(r) for r in self._json("GET", _path(dataset_id, "reviewers"))["reviewers"]]

    # -- the owner ------------------------------------------------------------------------------------

    def review_policy(self, dataset_id: int) -> ReviewPolicy:
        return ReviewPolicy.from_json(self._json("GET", _path(dataset_id, "policy")))

    def set_review_policy(self, dataset_id: int, policy: dict[str, Any]) -> ReviewPolicy:
        """New terms for items submitted from now on (missing keys take the defaults)."""
        return ReviewPolicy.from_json(self._json("PUT", _path(dataset_id, "policy"), json={"policy": policy}))

    def allowed_voters(self, dataset_id: int) -> list[AllowedVoter]:
        return [AllowedVoter.from_json(v) for v in self._json("GET", _path(dataset_id, "voters"))["voters"]]

    def allow_voter(self, dataset_id: int, voter: str) -> str:
        """Add a username or wallet address to the allow-list; returns the address allowed."""
        return str(self._json("POST", _path(dataset_id, "voters"), json={"voter": voter})["address"])

    def disallow_voter(self, dataset_id: int, voter: str) -> str:
        return str(self._json("DELETE", _path(dataset_id, "voters", voter))["address"])

    def review_pool(self, dataset_id: int) -> ReviewPool:
        """The pool, stakes held, reserved rewards and deposits, plus funding and payout totals."""
        return ReviewPool.from_json(self._json("GET", _path(dataset_id, "pool")))

    def fund_pool(self, dataset_id: int, amount_wei: int) -> PoolChange:
        answer = self._json(
            "POST", _path(dataset_id, "pool", "fund"), json={"amount_wei": str(int(amount_wei))}
        )
        return PoolChange.from_json(answer)

    def review_bond(self, dataset_id: int) -> ReviewBond:
        """Your review bond on the dataset: what you can withdraw now."""
        return ReviewBond.from_json(self._json("GET", _path(dataset_id, "bond")))

    def deposit_bond(self, dataset_id: int, amount_wei: int) -> ReviewBond:
        """Move wei from your custodial wallet into your review bond."""
        body = {"amount_wei": str(int(amount_wei))}
        return ReviewBond.from_json(self._json("POST", _path(dataset_id, "bond", "deposit"), json=body))

    def withdraw_bond(self, dataset_id: int, amount_wei: int | None = None) -> ReviewBond:
        """Take wei (None: all that is available) from your review bond back into your wallet."""
        body = {} if amount_wei is None else {"amount_wei": str(int(amount_wei))}
        return ReviewBond.from_json(self._json("POST", _path(dataset_id, "bond", "withdraw"), json=body))

    def withdraw_pool(self, dataset_id: int, amount_wei: int) -> PoolChange:
        answer = self._json(
            "POST", _path(dataset_id, "pool", "withdraw"), json={"amount_wei": str(int(amount_wei))}
        )
        return PoolChange.from_json(answer)

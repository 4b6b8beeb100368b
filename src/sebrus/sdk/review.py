"""Review methods of :class:`sebrus.Client`: the reviewer's loop and the owner's tools.

A mixin, like releases; it relies only on the client's ``_json``. Answers are the server's JSON
documents (``dict``), with amounts in wei as decimal strings; a refusal raises the SDK's error for
its status, whose message starts with the contract's error name (``AlreadyVoted: ...``).
"""

from __future__ import annotations

from typing import Any


def _path(dataset_id: int, *parts: str) -> str:
    return "/".join([f"/api/dataset/{int(dataset_id)}/review", *parts])


class ReviewMethods:
    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    # -- the reviewer ---------------------------------------------------------------------------------

    def review_queue(self, dataset_id: int, limit: int = 20) -> list[dict[str, Any]]:
        """Items waiting for your vote, oldest first: blind (no tallies) and never your own."""
        return list(self._json("GET", _path(dataset_id, "queue"), params={"limit": limit})["items"])

    def vote(self, dataset_id: int, sha256: str, approve: bool) -> dict[str, Any]:
        """A plain vote with the policy's stake, signed by your custodial wallet."""
        return self._json("POST", _path(dataset_id, "items", sha256, "vote"), json={"approve": bool(approve)})

    def commit_vote(self, dataset_id: int, sha256: str, approve: bool) -> dict[str, Any]:
        """A hidden vote (commit-reveal policies); the server keeps what it needs to reveal it."""
        return self._json(
            "POST", _path(dataset_id, "items", sha256, "commit"), json={"approve": bool(approve)}
        )

    def reveal_vote(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        return self._json("POST", _path(dataset_id, "items", sha256, "reveal"), json={})

    def finalize_item(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        """Approve an x = 0 item, or settle or fail a commit-reveal round whose time is up."""
        return self._json("POST", _path(dataset_id, "items", sha256, "finalize"), json={})

    def pay_deposit(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        """Pay your item's review deposit from your custodial wallet, so that its review opens."""
        return self._json("POST", _path(dataset_id, "items", sha256, "deposit"), json={})

    def claim_deposit(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        """Take back the deposit of your approved item."""
        return self._json("POST", _path(dataset_id, "items", sha256, "deposit", "claim"), json={})

    def claim(self, dataset_id: int, sha256: str, round_index: int | None = None) -> dict[str, Any]:
        """Collect your payout for the item (your latest round unless ``round_index`` says otherwise)."""
        return self._json("POST", _path(dataset_id, "items", sha256, "claim"), json={"round": round_index})

    def claims_waiting(self, dataset_id: int | None = None) -> list[dict[str, Any]]:
        return list(self._json("GET", "/api/review/claims", params={"dataset_id": dataset_id})["claims"])

    def item_votes(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        """Everyone's ballots once the item is resolved (``complete``); before that, only yours."""
        return self._json("GET", _path(dataset_id, "items", sha256, "votes"))

    def reviewers(self, dataset_id: int) -> list[dict[str, Any]]:
        """Coherence, counts, earnings, reputation and flags of every voter on the dataset."""
        return list(self._json("GET", _path(dataset_id, "reviewers"))["reviewers"])

    # -- the owner ------------------------------------------------------------------------------------

    def review_policy(self, dataset_id: int) -> dict[str, Any]:
        return self._json("GET", _path(dataset_id, "policy"))

    def set_review_policy(self, dataset_id: int, policy: dict[str, Any]) -> dict[str, Any]:
        """New terms for items submitted from now on (missing keys take the defaults)."""
        return self._json("PUT", _path(dataset_id, "policy"), json={"policy": policy})

    def allowed_voters(self, dataset_id: int) -> list[dict[str, Any]]:
        return list(self._json("GET", _path(dataset_id, "voters"))["voters"])

    def allow_voter(self, dataset_id: int, voter: str) -> str:
        """Add a username or wallet address to the allow-list; returns the address allowed."""
        return str(self._json("POST", _path(dataset_id, "voters"), json={"voter": voter})["address"])

    def disallow_voter(self, dataset_id: int, voter: str) -> str:
        return str(self._json("DELETE", _path(dataset_id, "voters", voter))["address"])

    def review_pool(self, dataset_id: int) -> dict[str, Any]:
        """The pool, stakes held, reserved rewards and deposits, plus funding and payout totals."""
        return self._json("GET", _path(dataset_id, "pool"))

    def fund_pool(self, dataset_id: int, amount_wei: int) -> dict[str, Any]:
        return self._json(
            "POST", _path(dataset_id, "pool", "fund"), json={"amount_wei": str(int(amount_wei))}
        )

    def withdraw_pool(self, dataset_id: int, amount_wei: int) -> dict[str, Any]:
        return self._json(
            "POST", _path(dataset_id, "pool", "withdraw"), json={"amount_wei": str(int(amount_wei))}
        )

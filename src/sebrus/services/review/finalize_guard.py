"""When an item may be finalized without votes: the platform's guard on ``finalize``.

An item under x = 0 is approved by whoever calls ``finalize`` first. Approving it the moment it is
anchored would skip the grace in which a scan can quarantine it (issue 15: a contributor finalized
their own upload 1.2 s after sending it). Reviews since interface version 2 refuse that on chain
(``Terms.finalizeDelay``, ``FinalizeTooEarly``); reviews cloned before have no such rule, so the
server refuses it for every review before sending anything, with the time it becomes possible.
"""

from __future__ import annotations

from sebrus.chain.clock import chain_now
from sebrus.chain.review import ReviewLedger
from sebrus.chain.types import ItemStatus
from sebrus.primitives import iso_utc
from sebrus.services.errors import NotFound, TooEarly


def too_early(content_hash: str, not_before: int, now: int) -> TooEarly:
    """The 409 for a finalize before ``not_before``, naming the time in the message and the answer."""
    return TooEarly(
        f"FinalizeTooEarly: item {content_hash} can be finalized from {iso_utc(not_before)} "
        "(its anchoring time plus the grace in which a scan may still quarantine it).",
        not_before=not_before,
        retry_after_seconds=not_before - now,
    )


def require_finalizable(reviews: ReviewLedger, address: str, content_hash: str, grace_s: int) -> None:
    """Refuse a finalize that would approve a Pending item with no votes to wait for (q = 0) before its
    anchoring time plus the longer of the platform's grace and the policy's ``finalize_delay``."""
    item = reviews.ledger.get_item(address, content_hash)
    if item is None:
        raise NotFound(f"Item {content_hash} is not anchored on this dataset's chain.")
    if item.status is not ItemStatus.PENDING or reviews.votes_required(address, content_hash) != 0:
        return  # votes decide it, or it is decided: the contract judges the rest
    delay = max(grace_s, reviews.policy_for(address, content_hash).terms.finalize_delay_s)
    not_before = item.submitted_at + delay
    now = chain_now(reviews.ledger)
    if now < not_before:
        raise too_early(content_hash, not_before, now)

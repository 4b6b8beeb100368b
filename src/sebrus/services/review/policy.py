"""A dataset's review policy as the API speaks it, and the contract's ``Terms`` it becomes.

The API takes a JSON object; every key is optional and a missing one takes the default below:

=================  ======================================================  =================
key                meaning                                                 default
=================  ======================================================  =================
``x``              votes one side needs to decide an item (0..100)         1
``stake_wei``      wei each vote carries (refunded with a reward if won)   10**15 (0.001 ETH)
``reward_wei``     wei paid from the owner's pool to each winning vote     0
``voters``         ``"open"`` (anyone who stakes) or ``"allow-list"``      ``"open"``
``deposit_wei``    contributor's deposit, refunded if approved             0
``commit_reveal``  hide votes until the commit phase ends                  false
``commit_window``  seconds a commit-reveal round takes commits             3600 with c-r
``reveal_window``  seconds reveals are taken afterwards                    3600 with c-r
``finalize_delay`` seconds an x = 0 item waits after anchoring before it   the platform's
                   can be approved (a scan may still quarantine it)        no-vote grace
=================  ======================================================  =================

The default is open voting with x = 1 and a small stake: a newcomer's custodial wallet (funded at
registration) can vote straight away, and the stake still makes every vote cost something. Owners
who want the paper's proof of authority choose ``"allow-list"`` and add reviewers.

``finalize_delay`` is enforced by the Review contract itself (``Terms.finalizeDelay``), because anyone
may call ``finalize`` on chain; reviews cloned before it existed ignore it, and the API's guard
(``services/review/votes.py``) stands in for them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.chain.review_types import MAX_QUORUM, MAX_WEI, MAX_WINDOW_SECONDS, ReviewTerms
from sebrus.primitives import format_eth
from sebrus.services.errors import InvalidInput

DEFAULT_X = 1
DEFAULT_STAKE_WEI = 10**15
DEFAULT_WINDOW_S = 3600
DEFAULT_FINALIZE_DELAY_S = 600  # the platform's default no-vote grace (Settings.review_no_vote_grace_seconds)
OPEN = "open"
ALLOW_LIST = "allow-list"
_KEYS = {
    "x",
    "quorum",
    "stake_wei",
    "reward_wei",
    "voters",
    "open_voting",
    "deposit_wei",
    "commit_reveal",
    "commit_window",
    "reveal_window",
    "finalize_delay",
}
FIELD = "review_policy"


def terms_from_policy(
    policy: dict[str, Any] | None, *, default_finalize_delay: int = DEFAULT_FINALIZE_DELAY_S
) -> ReviewTerms:
    """Check an owner's policy object and turn it into contract terms; refusals name the key.

    ``default_finalize_delay`` fills a missing ``finalize_delay``: the platform passes its no-vote
    grace, so that the chain holds x = 0 items at least as long as the platform's own finalizer does."""
    policy = dict(policy or {})
    unknown = sorted(set(policy) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS - {"quorum", "open_voting"}))
        raise InvalidInput(f"Unknown review policy key(s): {', '.join(unknown)}; use {known}.", field=FIELD)
    if "x" in policy and "quorum" in policy and policy["x"] != policy["quorum"]:
        raise InvalidInput("Give x or quorum, not two different values.", field=FIELD)
    x = _whole(policy.get("x", policy.get("quorum", DEFAULT_X)), "x", MAX_QUORUM)
    commit_reveal = _flag(policy.get("commit_reveal", False), "commit_reveal")
    default_window = DEFAULT_WINDOW_S if commit_reveal else 0
    terms = ReviewTerms(
        quorum=x,
        stake_wei=_whole(policy.get("stake_wei", DEFAULT_STAKE_WEI), "stake_wei", MAX_WEI),
        reward_wei=_whole(policy.get("reward_wei", 0), "reward_wei", MAX_WEI),
        open_voting=_voters(policy),
        deposit_wei=_whole(policy.get("deposit_wei", 0), "deposit_wei", MAX_WEI),
        commit_reveal=commit_reveal,
        commit_window_s=_whole(
            policy.get("commit_window", default_window), "commit_window", MAX_WINDOW_SECONDS
        ),
        reveal_window_s=_whole(
            policy.get("reveal_window", default_window), "reveal_window", MAX_WINDOW_SECONDS
        ),
        finalize_delay_s=_whole(
            policy.get("finalize_delay", default_finalize_delay), "finalize_delay", MAX_WINDOW_SECONDS
        ),
    )
    try:
        return terms.check()
    except LedgerInvalidInput as exc:
        raise InvalidInput(f"Review policy: {exc}.", field=FIELD) from exc


def policy_from_terms(terms: ReviewTerms) -> dict[str, Any]:
    """The canonical policy object (every key present) that the dataset row and the API show."""
    return {
        "x": terms.quorum,
        "stake_wei": terms.stake_wei,
        "reward_wei": terms.reward_wei,
        "voters": OPEN if terms.open_voting else ALLOW_LIST,
        "deposit_wei": terms.deposit_wei,
        "commit_reveal": terms.commit_reveal,
        "commit_window": terms.commit_window_s,
        "reveal_window": terms.reveal_window_s,
        "finalize_delay": terms.finalize_delay_s,
    }


def policy_version_text(version: int, effective_from: int) -> str:
    """ "version 1, for items submitted from 2026-12-06 08:00 UTC": how every face names a policy version.

    One function because the CLI counted the contract's versions from 0 while the profile page showed
    how many there were, so the same policy had two numbers. The number is the contract's (the API's
    ``version``, the audit log's): the policy set with the review contract is version 0. The date is
    the block time it took effect, in UTC, never bare Unix seconds (0, the first policy's, is "from the
    start").
    """
    if int(effective_from) <= 0:  # the contract's first policy carries no start: it always applied
        return f"version {int(version)}, for every item from the start"
    since = datetime.fromtimestamp(int(effective_from), UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"version {int(version)}, for items submitted from {since}"


def _voters(policy: dict[str, Any]) -> bool:
    if "voters" in policy:
        mode = policy["voters"]
        if mode not in (OPEN, ALLOW_LIST):
            raise InvalidInput(f'`voters` must be "{OPEN}" or "{ALLOW_LIST}", got {mode!r:.40}.', field=FIELD)
        if "open_voting" in policy and _flag(policy["open_voting"], "open_voting") != (mode == OPEN):
            raise InvalidInput("`voters` and `open_voting` disagree.", field=FIELD)
        return bool(mode == OPEN)
    return _flag(policy.get("open_voting", True), "open_voting")


def _whole(value: Any, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # Wei amounts may come as strings: JSON numbers beyond 2**53 lose precision in many clients.
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise InvalidInput(f"`{name}` must be a whole number, got {value!r:.40}.", field=FIELD)
    if not 0 <= value <= maximum:
        if name.endswith("_wei"):  # amounts are read in ETH, whatever unit the key carries
            raise InvalidInput(
                f"`{name}` must be 0 to {format_eth(maximum)}, got {format_eth(value)}.", field=FIELD
            )
        raise InvalidInput(f"`{name}` must be 0 to {maximum}, got {value}.", field=FIELD)
    return int(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"`{name}` must be true or false, got {value!r:.40}.", field=FIELD)
    return value

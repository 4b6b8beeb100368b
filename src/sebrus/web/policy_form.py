"""The review policy on the Create a Dataset form: people's units in, the API's policy object out.

People think in ETH and minutes; the policy object (``services/review/policy.py``) holds wei and
seconds. Each field is checked here so that its error sits beside it; what only the whole policy
can refuse (open voting without a stake) comes back from ``terms_from_policy`` for the fieldset.
The dataset page's change form (``routes/dataset_policy.py``) sends the same fields, filled in by
``form_values`` from the policy in force, plus the finalize delay, so that a change keeps it.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from sebrus.chain.review_types import MAX_QUORUM, MAX_WEI, MAX_WINDOW_SECONDS
from sebrus.primitives import eth_to_wei, format_eth
from sebrus.services.errors import InvalidInput
from sebrus.services.review.policy import ALLOW_LIST, OPEN, terms_from_policy
from sebrus.web.forms import FormErrors, text

MAX_WINDOW_MINUTES = MAX_WINDOW_SECONDS // 60
FINALIZE_FIELD = "finalize_seconds"  # only the change form sends it: Create takes the platform's default
POLICY_FIELDS = (
    "x",
    "stake_eth",
    "reward_eth",
    "voters",
    "deposit_eth",
    "commit_reveal",
    "commit_minutes",
    "reveal_minutes",
)
DEFAULTS = {
    "x": "1",
    "stake_eth": "0.001",
    "reward_eth": "0",
    "voters": OPEN,
    "deposit_eth": "0",
    "commit_reveal": "",
    "commit_minutes": "60",
    "reveal_minutes": "60",
}


def _wei(raw: str, name: str, what: str, errors: FormErrors) -> int:
    try:
        return eth_to_wei(raw.strip() or "0", allow_zero=True, max_wei=MAX_WEI + 1, what=what)
    except ValueError as refused:
        errors.add(name, str(refused))
        return 0


def _whole(raw: str, name: str, what: str, low: int, high: int, errors: FormErrors) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or not low <= int(value) <= high:
        errors.add(name, f"{what} must be a whole number from {low} to {high}.")
        return low
    return int(value)


def read_policy(form: FormData, errors: FormErrors) -> tuple[dict[str, str], dict[str, Any]]:
    """The fields as typed (to show again) and the policy object they make (valid only without errors)."""
    # A field the form did not send at all takes its default (an unchecked box sends nothing: off).
    values = {name: text(form, name) if name in form else DEFAULTS[name] for name in POLICY_FIELDS}
    policy: dict[str, Any] = {
        "x": _whole(values["x"], "x", "Votes needed", 0, MAX_QUORUM, errors),
        "stake_wei": _wei(values["stake_eth"], "stake_eth", "The stake", errors),
        "reward_wei": _wei(values["reward_eth"], "reward_eth", "The reward", errors),
        "deposit_wei": _wei(values["deposit_eth"], "deposit_eth", "The deposit", errors),
        "commit_reveal": values["commit_reveal"] == "on",
    }
    if values["voters"] not in (OPEN, ALLOW_LIST):
        errors.add("voters", "Choose who may vote: anyone who stakes, or your allow-list.")
    else:
        policy["voters"] = values["voters"]
    if policy["commit_reveal"]:
        for field, key, what in (
            ("commit_minutes", "commit_window", "The commit phase"),
            ("reveal_minutes", "reveal_window", "The reveal phase"),
        ):
            policy[key] = 60 * _whole(values[field], field, what, 1, MAX_WINDOW_MINUTES, errors)
    if FINALIZE_FIELD in form:
        values[FINALIZE_FIELD] = text(form, FINALIZE_FIELD)
        policy["finalize_delay"] = _whole(
            values[FINALIZE_FIELD], FINALIZE_FIELD, "The wait before approving", 0, MAX_WINDOW_SECONDS, errors
        )
    if policy.get("voters") == OPEN and policy["stake_wei"] == 0 and "stake_eth" not in errors.fields:
        errors.add("stake_eth", "Open voting needs a stake above 0, or anyone could vote for free.")
    if not errors:
        try:
            terms_from_policy(policy)
        except InvalidInput as refused:
            errors.add("review_policy", refused.message.replace("`", ""))
    return values, policy


def form_values(policy: dict[str, Any]) -> dict[str, str]:
    """A policy object (wei, seconds; ``policy_from_terms``'s keys) as the change form's fields show it:
    ETH exactly as ``format_eth`` writes it (``eth_to_wei`` reads it back to the same wei), minutes."""
    values = dict(DEFAULTS)
    values["x"] = str(policy.get("x", DEFAULTS["x"]))
    for key in ("stake", "reward", "deposit"):
        if isinstance(policy.get(f"{key}_wei"), int):
            values[f"{key}_eth"] = format_eth(policy[f"{key}_wei"], unit=False)
    if policy.get("voters") in (OPEN, ALLOW_LIST):
        values["voters"] = policy["voters"]
    if policy.get("commit_reveal"):
        values["commit_reveal"] = "on"
        for field, key in (("commit_minutes", "commit_window"), ("reveal_minutes", "reveal_window")):
            seconds = policy.get(key)
            if isinstance(seconds, int) and seconds > 0:  # a window set in seconds shows as whole minutes
                values[field] = str(max(1, -(-seconds // 60)))
    if isinstance(policy.get("finalize_delay"), int):
        values[FINALIZE_FIELD] = str(policy["finalize_delay"])
    return values


def _eth(wei: Any) -> str:
    return format_eth(wei) if isinstance(wei, int) else str(wei)


def _minutes(seconds: Any) -> str:
    if not isinstance(seconds, int):
        return str(seconds)
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def policy_facts(policy: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The policy as (term, value) pairs a person reads; empty when the dataset has none."""
    if not policy:
        return []
    x = policy.get("x", policy.get("quorum"))
    voters = policy.get("voters")
    if voters is None and "open_voting" in policy:
        voters = OPEN if policy["open_voting"] else ALLOW_LIST
    facts = [
        ("Votes to decide", f"{x} on one side" if x is not None else "not set"),
        ("Stake per vote", _eth(policy.get("stake_wei", 0))),
        ("Reward per winning vote", _eth(policy.get("reward_wei", 0))),
        ("Who votes", "anyone who stakes" if voters == OPEN else "the owner's allow-list"),
        ("Contributor deposit", _eth(policy.get("deposit_wei", 0))),
    ]
    if policy.get("commit_reveal"):
        commit, reveal = _minutes(policy.get("commit_window")), _minutes(policy.get("reveal_window"))
        facts.append(("Commit-reveal", f"on: {commit} to commit, {reveal} to reveal"))
    else:
        facts.append(("Commit-reveal", "off: votes are cast openly"))
    if x == 0 and isinstance(policy.get("finalize_delay"), int):  # the delay matters only without votes
        facts.append(("Approved no sooner than", f"{_minutes(policy['finalize_delay'])} after anchoring"))
    return facts


def describe_policy(policy: dict[str, Any] | None) -> str:
    """One line for lists such as the dashboard."""
    facts = policy_facts(policy)
    if not facts:
        return "Not set: this dataset has no review contract."
    return "; ".join(f"{term.lower()}: {value}" for term, value in facts)

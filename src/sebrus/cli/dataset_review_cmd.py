"""``sebrus dataset policy|allow|fund|pool``: the owner's review tools, registered on ``sebrus dataset``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from sebrus.cli.dataset_cmd import dataset_app
from sebrus.cli.output import EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.cli.review_cmd import eth
from sebrus.primitives import eth_to_wei
from sebrus.sdk.review_models import ReviewPolicy
from sebrus.services.review.policy import policy_version_text

DatasetArg = Annotated[int, typer.Argument(metavar="DATASET", help="The dataset's id.")]
AMOUNT_KEYS = ("stake", "reward", "deposit")
WEI_KEYS = tuple(f"{key}_wei" for key in AMOUNT_KEYS)


def _print_policy(answer: ReviewPolicy) -> None:
    policy = answer.terms
    console.print(f"Review policy {policy_version_text(answer.version, answer.effective_from)}:")
    console.print(f"  x (votes one side needs)  {policy['x']}")
    console.print(f"  voters                    {policy['voters']}")
    amounts = " / ".join(eth(policy[key]) for key in WEI_KEYS)
    console.print(f"  stake / reward / deposit  {amounts}")
    if policy["commit_reveal"]:
        windows = (
            f"{_duration(policy['commit_window'])} to commit, {_duration(policy['reveal_window'])} to reveal"
        )
        console.print(f"  commit-reveal             {windows}")
    else:
        console.print("  commit-reveal             off")
    if policy["x"] == 0 and "finalize_delay" in policy:  # servers before issue 15 do not send it
        console.print(f"  approved no sooner than   {policy['finalize_delay']} s after anchoring")


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _amounts_in_eth(terms: dict[str, Any]) -> dict[str, Any]:
    """``stake``, ``reward`` and ``deposit`` typed as amounts ("0.01", "0.01 ETH", "1000 wei") become the
    API's ``*_wei`` keys, through the one converter the web forms use; ``*_wei`` keys pass as they are."""
    converted = dict(terms)
    for key in AMOUNT_KEYS:
        if key not in converted:
            continue
        typed = converted.pop(key)
        if f"{key}_wei" in converted:
            fail(f"--set: give {key} or {key}_wei, not both.", EXIT_USAGE)
        if isinstance(typed, bool) or not isinstance(typed, (str, int, float)):
            fail(f'--set: {key} is an amount like "0.01" (ETH) or "1000 wei", got {typed!r:.40}.', EXIT_USAGE)
        try:
            converted[f"{key}_wei"] = eth_to_wei(str(typed), allow_zero=True, what=f"The {key}")
        except ValueError as refused:
            fail(f"--set: {refused}", EXIT_USAGE)
    return converted


@dataset_app.command("policy")
def policy(
    dataset: DatasetArg,
    set_: Annotated[
        str | None,
        typer.Option(
            "--set",
            help='New terms as JSON, e.g. \'{"x": 2, "stake": "0.01", "voters": "allow-list"}\' (missing '
            'keys: defaults). stake, reward and deposit are ETH, or wei with the unit ("1000 wei").',
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the dataset's review policy, or change it for items submitted from now on."""
    terms: dict[str, Any] | None = None
    if set_ is not None:
        try:
            terms = json.loads(set_)
        except json.JSONDecodeError as exc:
            fail(f"--set is not JSON: {exc}", 2)
        if not isinstance(terms, dict):
            fail("--set takes a JSON object.", 2)
        terms = _amounts_in_eth(terms)
    with connect(url, token, login_required=terms is not None) as client:
        answer = (
            client.set_review_policy(dataset, terms) if terms is not None else client.review_policy(dataset)
        )
    print_json(answer.to_dict()) if as_json else _print_policy(answer)


@dataset_app.command("allow")
def allow(
    dataset: DatasetArg,
    voter: Annotated[str, typer.Argument(help="A username or wallet address.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the voter off the allow-list.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a reviewer to the dataset's allow-list (or --remove one)."""
    with connect(url, token, login_required=True) as client:
        address = client.disallow_voter(dataset, voter) if remove else client.allow_voter(dataset, voter)
        voters = client.allowed_voters(dataset)
    if as_json:
        print_json({"address": address, "voters": [v.to_dict() for v in voters]})
        return
    console.print(
        f"{'Removed' if remove else 'Allowed'} {address}. The allow-list now holds {len(voters)} wallet(s)."
    )


@dataset_app.command("fund")
def fund(
    dataset: DatasetArg,
    amount: Annotated[
        str,
        typer.Argument(
            metavar="AMOUNT", help='ETH to add to the reward pool ("0.01", "0.01 ETH"), or wei with the unit.'
        ),
    ],
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Take unreserved pool money back instead.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fund the reward pool from your custodial wallet (or --withdraw, owner only)."""
    try:
        amount_wei = eth_to_wei(amount)
    except ValueError as refused:
        fail(f"AMOUNT: {refused}", EXIT_USAGE)
    with connect(url, token, login_required=True) as client:
        answer = (
            client.withdraw_pool(dataset, amount_wei) if withdraw else client.fund_pool(dataset, amount_wei)
        )
    if as_json:
        print_json(answer.to_dict())
        return
    console.print(f"{answer.message} The pool now holds {eth(answer.books.pool_wei)}.")


@dataset_app.command("pool")
def pool(
    dataset: DatasetArg, url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """The review contract's books: pool, stakes held, reserved rewards, deposits; funding and payouts."""
    with connect(url, token, login_required=False) as client:
        answer = client.review_pool(dataset)
    if as_json:
        print_json(answer.to_dict())
        return
    books = answer.books
    console.print(f"Pool (withdrawable)   {eth(books.pool_wei)}")
    console.print(f"Stakes held           {eth(books.stakes_held_wei)}")
    console.print(f"Rewards reserved      {eth(books.rewards_reserved_wei)}")
    console.print(f"Deposits held         {eth(books.deposits_held_wei)}")
    console.print(f"Contract balance      {eth(books.balance_wei)}")
    console.print(f"Funded {eth(answer.funded_wei)}, withdrawn {eth(answer.withdrawn_wei)}.")
    paid = eth(answer.paid_out_wei)
    console.print(f"Paid out {paid} in {answer.claims} claim(s) over {answer.votes} vote(s).")

"""``sebrus review bond show|deposit|withdraw``: your bond on a dataset's review (version 3 or later).

Votes settled as signed ballots (a page in one transaction) draw their stakes from the bond and their
payouts land in it; these commands read it and move money between it and your custodial wallet.
Amounts are typed as people type ETH ("0.01", "0.01 ETH", or wei with its unit), through the one
converter every face uses. Exit 0: done; 1: the server refused (the sentence says why); 2: usage.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sebrus.cli.output import EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.primitives import eth_to_wei
from sebrus.sdk.review_models import ReviewBond

bond_app = typer.Typer(
    help="Your review bond: show it, deposit into it, withdraw from it.", no_args_is_help=True
)

DatasetArg = Annotated[int, typer.Argument(metavar="DATASET", help="The dataset's id.")]


def _wei(amount: str) -> int:
    try:
        return eth_to_wei(amount)
    except ValueError as refused:
        fail(f"AMOUNT: {refused}", EXIT_USAGE)


def _print(answer: ReviewBond, as_json: bool) -> None:
    if as_json:
        print_json(answer.to_dict())
        return
    console.print(answer.message)
    if answer.tx_hash:
        console.print(f"  transaction {answer.tx_hash}")


@bond_app.command("show")
def show(
    dataset: DatasetArg, url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """What your bond on the dataset's review holds that you can withdraw now."""
    with connect(url, token, login_required=True) as client:
        _print(client.review_bond(dataset), as_json)


@bond_app.command("deposit")
def deposit(
    dataset: DatasetArg,
    amount: Annotated[
        str,
        typer.Argument(
            metavar="AMOUNT", help='ETH to move into the bond ("0.01", "0.01 ETH"), or wei with the unit.'
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move AMOUNT from your custodial wallet into your bond (bulk votes also top it up themselves)."""
    wei = _wei(amount)
    with connect(url, token, login_required=True) as client:
        _print(client.deposit_bond(dataset, wei), as_json)


@bond_app.command("withdraw")
def withdraw(
    dataset: DatasetArg,
    amount: Annotated[
        str | None,
        typer.Argument(metavar="[AMOUNT]", help="ETH to take back; default: all that is available."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take AMOUNT (default: everything available) back into your custodial wallet; the stakes of your
    open votes stay in the bond until their rounds are decided."""
    wei = None if amount is None else _wei(amount)
    with connect(url, token, login_required=True) as client:
        _print(client.withdraw_bond(dataset, wei), as_json)

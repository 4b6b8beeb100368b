"""``sebrus review``: the reviewer's loop against a server (queue, vote, commit, reveal, claim, history,
reviewers), and a contributor's review deposit. Votes are signed by your custodial wallet on the server;
refusals exit 1 with the contract's reason."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sebrus.cli import review_bulk
from sebrus.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.cli.review_bond_cmd import bond_app
from sebrus.primitives import format_eth
from sebrus.sdk.review_models import VoteReceipt

review_app = typer.Typer(
    help="Review a dataset's items: vote with a stake, reveal, claim.", no_args_is_help=True
)

review_app.add_typer(bond_app, name="bond")

DatasetArg = Annotated[int, typer.Argument(metavar="DATASET", help="The dataset's id.")]
ShaArg = Annotated[
    str, typer.Argument(metavar="SHA256", help="The item's sha256, or any unique start of it.")
]


def eth(wei: str | int) -> str:
    return format_eth(int(wei))


def _side(approve: bool, reject: bool) -> bool:
    if approve == reject:
        fail("Say --approve (the label is right) or --reject (it is wrong or poisoned).", 2)
    return approve


def _print_receipt(answer: VoteReceipt) -> None:
    item = answer.item
    console.print(f"{answer.message} Item {item.content_hash[:12]}... is now [bold]{item.status}[/].")
    console.print(f"  transaction {answer.tx_hash}")


@review_app.command("queue")
def queue(
    dataset: DatasetArg,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many items to show.")] = 20,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Items waiting for your vote, oldest first (blind: no running tallies, never your own)."""
    with connect(url, token, login_required=True) as client:
        items = client.review_queue(dataset, limit)
    if as_json:
        print_json([entry.to_dict() for entry in items])
        return
    if not items:
        console.print("Nothing to review here right now.")
        return
    table = Table("sha256", "label", "status", "mode", "stake", "reward", "votes needed")
    for entry in items:
        item = entry.item
        table.add_row(
            item.content_hash,
            item.label,
            item.status,
            entry.mode,
            eth(entry.stake_wei),
            eth(entry.reward_wei),
            str(entry.votes_needed),
        )
    console.print(table)
    for entry in items:
        if entry.waiting_for:
            console.print(f"Not open to votes: {entry.item.content_hash[:12]}... {entry.waiting_for}")
    console.print(f"See an image at {url}{items[0].image_url}")
    console.print(
        f"Vote with `sebrus review vote {dataset} SHA256 --approve` (or --reject); "
        "the first characters of the hash are enough when no other item starts with them."
    )


ApproveOption = Annotated[bool, typer.Option("--approve", help="The label is right.")]
RejectOption = Annotated[bool, typer.Option("--reject", help="The label is wrong or the image poisoned.")]


@review_app.command("vote")
def vote(
    dataset: Annotated[
        int | None, typer.Argument(metavar="[DATASET]", help="The dataset's id (or --dataset).")
    ] = None,
    sha256: Annotated[
        str | None,
        typer.Argument(metavar="[SHA256]", help="The item's sha256, or any unique start of it."),
    ] = None,
    approve: ApproveOption = False,
    reject: RejectOption = False,
    dataset_option: Annotated[
        int | None, typer.Option("--dataset", "-d", min=1, help="The dataset's id.")
    ] = None,
    all_approve: Annotated[
        bool,
        typer.Option(
            "--all-approve", help="Approve every votable item of your current queue page (see --limit)."
        ),
    ] = False,
    all_reject: Annotated[
        bool, typer.Option("--all-reject", help="Reject every votable item of your current queue page.")
    ] = False,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="Decisions, one a line: CSV `hash-or-prefix,approve|reject` or JSON lines.",
            dir_okay=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=50, help="With --all-*: how many queue items make the page.")
    ] = 20,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vote with the policy's stake (plain mode): one item, or many in one submission.

    --all-approve / --all-reject vote on your current queue page (its first --limit items; those that
    cannot be voted on now are skipped and named); --from-file takes up to 100 decisions. The server
    checks every entry before sending any vote; each entry's outcome and the settlement time are
    printed. Exit 0: all settled; 1: some refused; 2: usage error."""
    if dataset is not None and dataset_option is not None and dataset != dataset_option:
        fail(f"Two datasets named ({dataset} and --dataset {dataset_option}): name one.", 2)
    chosen = dataset if dataset is not None else dataset_option
    if chosen is None:
        fail("Name the dataset: `sebrus review vote DATASET ...` or --dataset N.", 2)
    bulk_modes = sum((all_approve, all_reject, from_file is not None))
    if bulk_modes:
        if bulk_modes > 1 or sha256 is not None or approve or reject:
            fail("Choose one of SHA256 with --approve/--reject, --all-approve, --all-reject, --from-file.", 2)
        decisions = review_bulk.file_decisions(from_file) if from_file is not None else None
        with connect(url, token, login_required=True) as client:
            if decisions is None:
                decisions = review_bulk.queue_decisions(client, chosen, limit, all_approve)
            review_bulk.send(client, chosen, decisions, as_json)
        return
    if sha256 is None:
        fail("Name an item (SHA256), or vote in bulk with --all-approve, --all-reject or --from-file.", 2)
    side = _side(approve, reject)
    with connect(url, token, login_required=True) as client:
        answer = client.vote(chosen, client.resolve_item(chosen, sha256), side)
    print_json(answer.to_dict()) if as_json else _print_receipt(answer)


@review_app.command("commit")
def commit(
    dataset: DatasetArg,
    sha256: ShaArg,
    approve: ApproveOption = False,
    reject: RejectOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Commit a hidden vote (commit-reveal mode); reveal it with `sebrus review reveal` later."""
    side = _side(approve, reject)
    with connect(url, token, login_required=True) as client:
        answer = client.commit_vote(dataset, client.resolve_item(dataset, sha256), side)
    print_json(answer.to_dict()) if as_json else _print_receipt(answer)


@review_app.command("reveal")
def reveal(
    dataset: DatasetArg,
    sha256: ShaArg,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reveal the vote you committed (the server re-derives its salt)."""
    with connect(url, token, login_required=True) as client:
        answer = client.reveal_vote(dataset, client.resolve_item(dataset, sha256))
    print_json(answer.to_dict()) if as_json else _print_receipt(answer)


@review_app.command("claim")
def claim(
    dataset: Annotated[int | None, typer.Argument(metavar="[DATASET]", help="Claim on this dataset.")] = None,
    sha256: Annotated[
        str | None,
        typer.Argument(metavar="[SHA256]", help="Claim this item only (any unique start of its sha256)."),
    ] = None,
    round_index: Annotated[
        int | None, typer.Option("--round", min=0, help="The round (default: your latest).")
    ] = None,
    claim_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Claim every payout waiting on the dataset in one request (batched on v3+ reviews)."
        ),
    ] = False,
    dataset_option: Annotated[
        int | None, typer.Option("--dataset", "-d", min=1, help="The dataset's id (with --all).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Collect your payouts: one item's, or every one waiting (on one dataset or all).

    --all --dataset N asks the server to claim them all at once: on a review of version 3 or later one
    relayed transaction credits them to your review bond (withdraw with `sebrus review bond withdraw`);
    an older review takes one claim each. Exit 0: all claimed; 1: some skipped, or nothing to claim;
    2: usage error."""
    if claim_all or dataset_option is not None:
        _claim_all(dataset, dataset_option, sha256, round_index, claim_all, url, token, as_json)
        return
    with connect(url, token, login_required=True) as client:
        if sha256 is not None:
            if dataset is None:
                fail("Name the dataset before the item.", 2)
            answers = [client.claim(dataset, client.resolve_item(dataset, sha256), round_index)]
        else:
            waiting = client.claims_waiting(dataset)
            answers = [client.claim(w.dataset_id, w.content_hash, w.round) for w in waiting]
    if as_json:
        print_json([answer.to_dict() for answer in answers])
        return
    if not answers:
        console.print("Nothing to claim.")
    for answer in answers:
        where = f"{answer.content_hash[:12]}... round {answer.round}"
        console.print(f"Claimed {eth(answer.amount_wei)} for {where}")


def _claim_all(
    dataset: int | None,
    dataset_option: int | None,
    sha256: str | None,
    round_index: int | None,
    claim_all: bool,
    url: str,
    token: str | None,
    as_json: bool,
) -> None:
    if not claim_all:
        fail("--dataset goes with --all: `sebrus review claim --all --dataset N`.", EXIT_USAGE)
    if dataset is not None and dataset_option is not None and dataset != dataset_option:
        fail(f"Two datasets named ({dataset} and --dataset {dataset_option}): name one.", EXIT_USAGE)
    chosen = dataset if dataset is not None else dataset_option
    if chosen is None or sha256 is not None or round_index is not None:
        fail("Claim all on one dataset: `sebrus review claim --all --dataset N` (no SHA256 or --round).", 2)
    with connect(url, token, login_required=True) as client:
        done = client.claim_all(chosen)
    if as_json:
        print_json(done.to_dict())
    else:
        console.print(done.message)
        for entry in done.claims:
            where = f"{str(entry['content_hash'])[:12]}... round {entry['round']}"
            if entry.get("skipped"):
                console.print(f"  {where}: {entry['skipped']}")
            else:
                console.print(f"  {where}: {eth(int(entry['credited_wei']))}")
    if done.claimed < len(done.claims):
        raise typer.Exit(EXIT_FAILURE)


@review_app.command("deposit")
def deposit(
    dataset: DatasetArg,
    sha256: Annotated[
        str | None,
        typer.Argument(
            metavar="[SHA256]", help="The item's sha256, or any unique start of it (not with --all)."
        ),
    ] = None,
    take_back: Annotated[
        bool, typer.Option("--claim", help="Take back the deposit of your approved item instead.")
    ] = False,
    pay_all: Annotated[
        bool, typer.Option("--all", help="Pay every deposit due on your items in the dataset, at once.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pay your item's review deposit from your custodial wallet (review opens once it is paid); with
    --all, every deposit due in the dataset (one batched transaction on reviews of version 3 or later)."""
    if pay_all == (sha256 is not None) or (pay_all and take_back):
        fail("Name one item (SHA256), or pass --all (without --claim) to pay every deposit due.", 2)
    with connect(url, token, login_required=True) as client:
        if pay_all:
            paid = client.pay_all_deposits(dataset)
        else:
            assert sha256 is not None
            sha256 = client.resolve_item(dataset, sha256)
            answer = (
                client.claim_deposit(dataset, sha256) if take_back else client.pay_deposit(dataset, sha256)
            )
    if pay_all:
        if as_json:
            print_json(paid.to_dict())
            return
        console.print(paid.message)
        for receipt in paid.paid:
            short = receipt.item.content_hash[:12]
            console.print(f"  {short}... {eth(receipt.amount_wei)}, transaction {receipt.tx_hash}")
        return
    if as_json:
        print_json(answer.to_dict())
        return
    done = "Took back" if take_back else "Deposited"
    console.print(f"{done} {eth(answer.amount_wei)} for {answer.item.content_hash[:12]}...")
    console.print(f"  item is {answer.item.status}; transaction {answer.tx_hash}")


@review_app.command("history")
def history(
    dataset: DatasetArg,
    sha256: ShaArg,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """An item's votes: everyone's once it is resolved, only yours before."""
    with connect(url, token, login_required=False) as client:
        answer = client.item_votes(dataset, client.resolve_item(dataset, sha256))
    if as_json:
        print_json(answer.to_dict())
        return
    console.print(f"Item {answer.item.content_hash[:12]}... is {answer.item.status}.")
    if not answer.complete:
        console.print("The vote is still open: only your own ballot is shown.")
    table = Table("round", "voter", "side", "stake", "round state", "claimed")
    for v in answer.votes:
        claimed = eth(v.claimed_wei) if v.claimed_wei is not None else "-"
        table.add_row(str(v.round), v.voter, v.side or "hidden", eth(v.stake_wei), v.round_state, claimed)
    console.print(table)


@review_app.command("reviewers")
def reviewers(
    dataset: DatasetArg, url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Reviewer quality on a dataset: coherence with outcomes, counts, earnings, reputation, flags."""
    with connect(url, token, login_required=False) as client:
        rows = client.reviewers(dataset)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("reviewer", "votes", "coherence", "approve share", "net", "reputation", "flags")
    for r in rows:
        coherence = f"{r.coherence:.0%} of {r.decided}" if r.coherence is not None else "-"
        share = f"{r.approve_share:.0%}" if r.approve_share is not None else "-"
        who = r.username or r.voter
        flags = ", ".join(r.flags) or "-"
        table.add_row(who, str(r.votes), coherence, share, eth(r.net_wei), str(r.reputation), flags)
    console.print(table)

"""``sebrus review vote --all-approve | --all-reject | --from-file``: many votes in one request.

The decisions go to ``POST /api/dataset/{id}/review/votes`` at once, so the server checks them all before
sending any (see docs/review.md, "Voting in bulk"). Each entry's outcome is printed, then how long
settlement took. Exit 0 when every vote settled, 1 when some were refused (or the server refused the
whole submission), 2 for a usage error such as an unreadable file.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from sebrus.cli.output import EXIT_FAILURE, EXIT_USAGE, console, errors, fail, print_json
from sebrus.cli.vote_file import VoteFileError, read_decisions
from sebrus.sdk import Client
from sebrus.sdk.review_models import BulkVotes

MAX_ENTRIES = 100  # the server's limit per submission


def file_decisions(path: Path) -> list[tuple[str, bool]]:
    try:
        decisions = read_decisions(path)
    except VoteFileError as exc:
        fail(str(exc), EXIT_USAGE)
    if len(decisions) > MAX_ENTRIES:
        fail(
            f"{path} has {len(decisions)} decisions; one submission takes at most {MAX_ENTRIES}: split it.",
            EXIT_USAGE,
        )
    return decisions


def queue_decisions(client: Client, dataset: int, limit: int, approve: bool) -> list[tuple[str, bool]]:
    """Every item of your current queue page (its first ``limit`` items) that can be voted on now;
    the others are named with the reason, as the queue gives it, on stderr (stdout may be --json)."""
    page = client.review_queue(dataset, limit)
    chosen: list[tuple[str, bool]] = []
    for entry in page:
        short = entry.item.content_hash[:13]
        if not entry.can_vote:
            errors.print(f"skipped  {short}  {entry.waiting_for}", highlight=False)
        elif entry.mode != "plain":
            errors.print(f"skipped  {short}  reviewed by commit-reveal: commit on it on its own.")
        else:
            chosen.append((entry.item.content_hash, approve))
    return chosen


def send(client: Client, dataset: int, decisions: list[tuple[str, bool]], as_json: bool) -> None:
    if not decisions:
        errors.print("Nothing on your queue page can be voted on now.")
        return
    started = time.perf_counter()
    answer = client.vote_many(dataset, decisions)
    wall = time.perf_counter() - started
    if as_json:
        print_json(answer.to_dict())
    else:
        _print(answer, wall)
    if answer.refused:
        raise typer.Exit(EXIT_FAILURE)


def _print(answer: BulkVotes, wall: float) -> None:
    for o in answer.outcomes:
        side = "approve" if o.approve else "reject"
        if o.settled:
            status = o.item.status if o.item is not None else "?"
            console.print(f"settled  {o.content_hash[:13]}  {side:7}  item {status}, transaction {o.tx_hash}")
        else:
            console.print(f"refused  {o.content_hash[:13]}  {side:7}  {o.message}", highlight=False)
    console.print(answer.message)
    if answer.settled:
        console.print(
            f"{wall / len(answer.outcomes):.2f} s a vote, the request included ({wall:.1f} s in all)."
        )

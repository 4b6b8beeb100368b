"""``sebrus upload``: contribute a file or a folder of images, with a progress bar.

A folder goes in bulk requests (``POST .../uploads``), up to ``BATCH_FILES`` files or
``BATCH_BYTES`` at a time, several requests in flight: one request, one database transaction and one
round trip for many images. Each file still gets its own verdict. Uploads are idempotent on the
server, so re-running the same command after a failure only sends what is missing: files already
anchored answer "already there".
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sebrus.cli.output import EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.cli.upload_plan import PlanError, PlannedFile, plan_upload
from sebrus.sdk import Client, RateLimited, SebrusConnectionError, SebrusError, ServerError

BATCH_FILES = 64
BATCH_BYTES = 16 * 1024 * 1024  # under the server's default bulk limit (64 MiB) with room to spare
ANCHOR_WAIT_SECONDS = 120.0

Outcome = Literal["anchored", "already there", "queued", "refused", "failed"]
ORDER: tuple[Outcome, ...] = ("anchored", "already there", "queued", "refused", "failed")
STYLE: dict[Outcome, str] = {
    "anchored": "green",
    "already there": "cyan",
    "queued": "yellow",
    "refused": "red",
    "failed": "red",
}


@dataclass(frozen=True)
class FileOutcome:
    file: str
    label: str
    outcome: Outcome
    content_hash: str | None = None
    reason: str | None = None


RATE_LIMIT_RETRIES = 5
LONGEST_RATE_LIMIT_WAIT = 60.0
FAILURE_BACKOFF = (1.0, 3.0)  # waits before retrying a 5xx or a dropped connection


def _send(client: Client, dataset_id: int, planned: PlannedFile, wait: bool) -> FileOutcome:
    """Refused: the server said no to this file. Failed: no usable answer (retrying may help).

    A rate limit is not a verdict on the file: the upload waits as the server asks (Retry-After) and
    tries again, so a folder larger than the per-minute limit still goes through in one command. A server
    error or a dropped connection is retried a couple of times too: uploads are idempotent, so a retry of
    bytes the server did take answers "already there" rather than making a second item.
    """
    try:
        data = planned.path.read_bytes()
    except OSError as exc:
        return FileOutcome(planned.shown, planned.label, "refused", reason=f"cannot read it: {exc.strerror}")
    retries = failures = 0
    while True:
        try:
            result = client.upload(dataset_id, data, planned.label, wait=wait)
        except RateLimited as exc:
            retries += 1
            if retries > RATE_LIMIT_RETRIES:
                return FileOutcome(planned.shown, planned.label, "refused", reason=exc.message)
            time.sleep(min(exc.retry_after or 5.0, LONGEST_RATE_LIMIT_WAIT))
            continue
        except (SebrusConnectionError, ServerError) as exc:
            if failures == len(FAILURE_BACKOFF):
                return FileOutcome(planned.shown, planned.label, "failed", reason=str(exc))
            time.sleep(FAILURE_BACKOFF[failures])
            failures += 1
            continue
        except SebrusError as exc:
            return FileOutcome(planned.shown, planned.label, "refused", reason=exc.message)
        return FileOutcome(planned.shown, planned.label, result.outcome, content_hash=result.content_hash)


def _line(o: FileOutcome) -> str:
    style = STYLE[o.outcome]
    detail = o.reason if o.reason is not None else (o.content_hash or "")[:16]
    return f"[{style}]{o.outcome:>13}[/]  {escape(o.file)}  [dim]({escape(o.label)})[/]  {escape(detail)}"


def upload_command(
    target: Annotated[
        Path, typer.Argument(metavar="FILE|DIR", exists=True, help="An image, or a folder of them.")
    ],
    dataset: Annotated[int, typer.Option("--dataset", "-d", help="The dataset's id.")],
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            "-l",
            help="Label for every file; without it a folder's files take their folder's name (DIR/<label>/).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Uploads in flight at once.")] = 4,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until each image is anchored on chain.")
    ] = True,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload images to a dataset; exits 1 if the server refused any of them."""
    try:
        plan = plan_upload(target, label)
    except PlanError as exc:
        fail(str(exc), EXIT_USAGE)
    with connect(url, token, login_required=True) as client:
        client.me()  # an expired token fails once here, not once per file
        found = client.dataset(dataset)
        unknown = sorted(plan.labels - set(found.labels))
        if unknown:
            fail(
                f"Label(s) {', '.join(unknown)} are not in dataset {found.id}'s label set "
                f"({', '.join(found.labels) or 'empty'}); rename the folder(s) or pass --label."
            )
        outcomes = _upload_all(client, found.id, plan.files, jobs=jobs, wait=wait, quiet=as_json)
    counts = Counter(o.outcome for o in outcomes)
    bad = [o for o in outcomes if o.outcome in ("refused", "failed")]
    if as_json:
        print_json(
            {
                "dataset": found.id,
                "files": [asdict(o) for o in outcomes],
                "skipped": plan.skipped,
                "counts": {k: counts.get(k, 0) for k in ORDER},
            }
        )
    else:
        for name in plan.skipped:
            console.print(f"[yellow]{'skipped':>13}[/]  {escape(name)}  (not in a label folder)")
        summary = ", ".join(f"{counts[k]} {k}" for k in ORDER if counts.get(k) or k == "anchored")
        console.print(f"{len(outcomes)} file(s) to dataset {found.id}: {summary}")
    if bad:
        names = ", ".join(o.file for o in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        fail(f"{len(bad)} of {len(outcomes)} file(s) not uploaded: {names}")


def _upload_all(
    client: Client, dataset_id: int, files: list[PlannedFile], *, jobs: int, wait: bool, quiet: bool
) -> list[FileOutcome]:
    """One file: the single-upload endpoint. More: bulk requests in parallel. Outcomes in plan order."""
    progress = Progress(
        TextColumn("uploading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    )
    results: dict[int, FileOutcome] = {}
    with progress, ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="upload") as pool:
        task = progress.add_task("upload", total=len(files))
        if len(files) == 1:
            futures = {pool.submit(lambda: [_send(client, dataset_id, files[0], wait)]): [0]}
        else:
            futures = {
                pool.submit(_send_batch, client, dataset_id, [files[n] for n in batch]): batch
                for batch in _batches(files)
            }
        for future in as_completed(futures):
            positions = futures[future]
            outcome = future.result()
            for position, each in zip(
                positions, outcome if isinstance(outcome, list) else [outcome], strict=True
            ):
                results[position] = each
                if not quiet:
                    progress.console.print(_line(each), highlight=False)
            progress.advance(task, len(positions))
    outcomes = [results[n] for n in range(len(files))]
    if wait and len(files) > 1:
        outcomes = _await_anchoring(client, dataset_id, outcomes, quiet=quiet)
    return outcomes


def _batches(files: list[PlannedFile]) -> list[list[int]]:
    """Positions of ``files`` grouped into bulk requests of at most BATCH_FILES files and BATCH_BYTES."""
    batches: list[list[int]] = [[]]
    size = 0
    for position, planned in enumerate(files):
        try:
            length = planned.path.stat().st_size
        except OSError:
            length = 0  # reported when the batch reads it
        if batches[-1] and (len(batches[-1]) >= BATCH_FILES or size + length > BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(position)
        size += length
    return batches


def _send_batch(client: Client, dataset_id: int, batch: list[PlannedFile]) -> list[FileOutcome]:
    """One bulk request; a rate limit or a failure is waited out and retried like a single upload."""
    outcomes: dict[int, FileOutcome] = {}
    readable: list[tuple[int, PlannedFile, bytes]] = []
    for position, planned in enumerate(batch):
        try:
            readable.append((position, planned, planned.path.read_bytes()))
        except OSError as exc:
            reason = f"cannot read it: {exc.strerror}"
            outcomes[position] = FileOutcome(planned.shown, planned.label, "refused", reason=reason)
    # The server names each file as sent; positions make the names unique whatever the folders hold.
    sent = [(planned.label, f"{position}:{planned.shown}", data) for position, planned, data in readable]
    if not sent:
        return [outcomes[n] for n in range(len(batch))]
    retries = failures = 0
    while True:
        try:
            result = client.upload_bulk(dataset_id, sent)
            break
        except RateLimited as exc:
            retries += 1
            if retries > RATE_LIMIT_RETRIES:
                return _all(batch, outcomes, readable, "refused", exc.message)
            time.sleep(min(exc.retry_after or 5.0, LONGEST_RATE_LIMIT_WAIT))
        except (SebrusConnectionError, ServerError) as exc:
            if failures == len(FAILURE_BACKOFF):
                return _all(batch, outcomes, readable, "failed", str(exc))
            time.sleep(FAILURE_BACKOFF[failures])
            failures += 1
        except SebrusError as exc:
            return _all(batch, outcomes, readable, "refused", exc.message)
    for name, content_hash, created in result.accepted:
        position = int(name.split(":", 1)[0])
        planned = batch[position]
        state: Outcome = "queued" if created else "already there"
        outcomes[position] = FileOutcome(planned.shown, planned.label, state, content_hash=content_hash)
    for name, reason in result.refused:
        position = int(name.split(":", 1)[0])
        planned = batch[position]
        outcomes[position] = FileOutcome(planned.shown, planned.label, "refused", reason=reason)
    return [outcomes[n] for n in range(len(batch))]


def _all(
    batch: list[PlannedFile],
    outcomes: dict[int, FileOutcome],
    readable: list[tuple[int, PlannedFile, bytes]],
    outcome: Outcome,
    reason: str,
) -> list[FileOutcome]:
    for position, planned, _ in readable:
        outcomes[position] = FileOutcome(planned.shown, planned.label, outcome, reason=reason)
    return [outcomes[n] for n in range(len(batch))]


def _await_anchoring(
    client: Client, dataset_id: int, outcomes: list[FileOutcome], *, quiet: bool
) -> list[FileOutcome]:
    """Queued files become "anchored" once their items appear; those still out after the wait stay
    queued (acknowledged: they will be anchored)."""
    pending = {o.content_hash for o in outcomes if o.outcome == "queued" and o.content_hash}
    deadline = time.monotonic() + ANCHOR_WAIT_SECONDS
    with console.status("waiting for the chain", spinner="dots") if not quiet else contextlib.nullcontext():
        while pending and time.monotonic() < deadline:
            pending -= {
                item.content_hash for item in client.items(dataset_id) if item.content_hash in pending
            }
            if pending:
                time.sleep(0.5)
    return [
        FileOutcome(o.file, o.label, "anchored", content_hash=o.content_hash)
        if o.outcome == "queued" and o.content_hash not in pending
        else o
        for o in outcomes
    ]

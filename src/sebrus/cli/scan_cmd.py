"""``sebrus scan``: start a poison scan of a dataset on a server, follow it, and read what it flagged.

A client of the API (like ``sebrus release``); ``sebrus detect`` is the standalone scanner that needs
no server. Exit codes: 0 when the command worked (flagged items are findings, not errors), 1 when the
scan failed, could not run (not enough data: the reason is printed) or the server refused, 2 for a bad
command line.
"""

from __future__ import annotations

import sys
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sebrus.cli.output import EXIT_FAILURE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.sdk.scans import ReportMismatch, Scan, ScanModel

scan_app = typer.Typer(help="Poison scans of a dataset on a server.", no_args_is_help=True)

ScanId = Annotated[int, typer.Argument(help="The scan's id.")]


def operating_point(scan: Scan) -> str:
    """Where flags start, and what they are expected to hold, in one line for people."""
    if scan.fpr is not None:
        rule = f"a false-positive rate of {scan.fpr:g} per item"
    else:
        rule = f"a false-discovery rate of {scan.fdr if scan.fdr is not None else 0.05:g}"
    if scan.expected_false_positives is None:
        return rule
    precision = (
        f", expected precision {scan.expected_precision:.0%}" if scan.expected_precision is not None else ""
    )
    expected = f"about {scan.expected_false_positives:.1f} clean items expected among the flags"
    return f"{rule}: {expected}{precision}"


def _show(scan: Scan) -> None:
    console.print(f"Scan {scan.id} of dataset {scan.dataset_id} ({scan.scope}): [bold]{scan.state}[/]")
    console.print(f"  progress     {scan.progress:.0%}  {scan.message}", highlight=False)
    if scan.state == "done" and not scan.insufficient_data:
        q = scan.quarantine
        console.print(
            f"  items        {scan.n_items} scanned, {scan.n_flagged} flagged, {scan.n_trusted} trusted"
        )
        console.print(
            f"  quarantine   {q.get('sent', 0)} sent, {q.get('pending', 0)} pending, "
            f"{q.get('skipped', 0)} skipped, {q.get('failed', 0)} failed"
        )
        console.print(f"  flags at     {operating_point(scan)}", highlight=False)
        if scan.trusted_message:
            console.print(f"  seed set     {scan.trusted_message}", highlight=False)
        console.print(f"  report       sha256 {scan.report_sha256}")
        model = f"uploaded, sha256 {scan.model_sha256}" if scan.model_sha256 else "reference CNN"
        console.print(f"  model        {model}")
    if scan.error and not scan.insufficient_data:
        console.print(f"  error        {scan.error}", highlight=False)


@scan_app.command("start")
def start(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    new: Annotated[
        bool, typer.Option("--new", help="Only items added since the last scan get results.")
    ] = False,
    fdr: Annotated[
        float | None,
        typer.Option(
            min=1e-6,
            max=0.5,
            help="False-discovery rate: the share of flagged items expected to be clean (default 0.05).",
        ),
    ] = None,
    fpr: Annotated[
        float | None,
        typer.Option(min=1e-6, max=0.5, help="Flag at this per-item false-positive rate instead of an FDR."),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed for every model and split.")] = 0,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the scan until it finishes.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a scan of a dataset you own; it runs on the server."""
    with connect(url, token, login_required=True) as client:
        scan = client.start_scan(
            dataset, scope="new-since-last" if new else "all", fdr=fdr, fpr=fpr, seed=seed
        )
        if wait:
            scan = _follow(client, scan.id, quiet=as_json)
    if as_json:
        print_json(scan.to_dict())
    else:
        if not wait:
            console.print(f"Scan {scan.id} queued; follow it with `sebrus scan status {scan.id} --wait`.")
        else:
            _show(scan)
    _exit_unless_it_ran(scan)


def _exit_unless_it_ran(scan: Scan) -> None:
    """Exit 1 when the scan screened nothing: it failed, or it could not run for want of data.

    A scan that stopped at "not enough data" is finished (state done) but flagged nothing because it
    looked at nothing; exit 0 there would read as a clean dataset to a script.
    """
    if scan.state == "done" and scan.insufficient_data:
        fail(f"Scan {scan.id} could not run: {scan.error or scan.message}")
    if scan.state == "failed":
        raise typer.Exit(EXIT_FAILURE)


def _follow(client: object, scan_id: int, quiet: bool) -> Scan:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sebrus.sdk import Client

    assert isinstance(client, Client)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, disable=quiet
    )
    with progress:
        task = progress.add_task("queued", total=1.0)

        def update(scan: Scan) -> None:
            progress.update(task, completed=scan.progress, description=f"{scan.state}: {scan.message}"[:60])

        return client.wait_for_scan(scan_id, poll=1.0, on_progress=update)


@scan_app.command("status")
def status(
    scan_id: ScanId,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the scan until it finishes.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """A scan's state, progress, counts and report hash."""
    with connect(url, token, login_required=False) as client:
        scan = _follow(client, scan_id, quiet=as_json) if wait else client.scan(scan_id)
    if as_json:
        print_json(scan.to_dict())
    else:
        _show(scan)
    _exit_unless_it_ran(scan)


@scan_app.command("list")
def list_scans(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """A dataset's scans, newest first."""
    with connect(url, token, login_required=False) as client:
        found = client.scans(dataset)
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    if not found:
        console.print(f"Dataset {dataset} has not been scanned.")
        return
    table = Table("scan", "state", "scope", "items", "flagged", "quarantined", "message")
    for s in found:
        table.add_row(
            str(s.id),
            s.state,
            s.scope,
            str(s.n_items),
            str(s.n_flagged),
            str(s.quarantine.get("sent", 0)),
            s.message,
        )
    console.print(table)


@scan_app.command("flagged")
def flagged(
    scan_id: ScanId,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """The items a scan flagged, most suspicious first, with the detectors that flagged each."""
    with connect(url, token, login_required=False) as client:
        found = list(islice(client.flagged(scan_id), limit))
    if as_json:
        print_json([f.to_dict() for f in found])
        return
    if not found:
        console.print(f"Scan {scan_id} flagged nothing.")
        return
    table = Table("sha256", "label", "contributor", "suspicion", "status", "quarantine", "reasons")
    for f in found:
        reasons = ", ".join(f"{r.get('detector')} ({r.get('score')})" for r in f.reasons)
        table.add_row(
            f.sha256[:16],
            f.label,
            f.contributor,
            f"{f.suspicion:.2f}",
            f.status,
            f.quarantine or "-",
            reasons,
        )
    console.print(table)
    console.print(f"{len(found)} flagged item(s)")


@scan_app.command("report")
def report(
    scan_id: ScanId,
    html: Annotated[bool, typer.Option("--html", help="The HTML page instead of the JSON report.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Download a scan's report; the JSON one is checked against the hash recorded (and put on chain)."""
    with connect(url, token, login_required=False) as client:
        try:
            data = client.scan_report(scan_id, "html" if html else "json")
        except ReportMismatch as exc:
            fail(str(exc))
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if not out.parent.is_dir():
        fail(f"--out: directory {out.parent} does not exist", 2)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data):,} bytes)")


@scan_app.command("seed")
def add_seed(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    files: Annotated[list[Path] | None, typer.Argument(help="Vetted image files, all with --label.")] = None,
    label: Annotated[str | None, typer.Option("--label", "-l", help="The label of the FILES.")] = None,
    items: Annotated[
        list[str] | None,
        typer.Option(
            "--item", help="An existing item's sha256 (or any unique start of it) to trust (repeatable)."
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add vetted images or existing items to the dataset's seed set (owner only)."""
    files = files or []
    if files and not label:
        fail("give the label of the files with --label", 2)
    if not files and not items:
        fail("give image FILES (with --label) or --item SHA256", 2)
    for path in files:
        if not path.is_file():
            fail(f"not a file: {path}")
    with connect(url, token, login_required=True) as client:
        trusted = [client.resolve_item(dataset, typed) for typed in items or []]
        answer = client.add_seed(dataset, images=[(p, str(label)) for p in files], items=trusted)
    if as_json:
        print_json(answer.to_dict())
        return
    console.print(f"{answer.message} The seed set now holds {answer.total} image(s).")


def _show_model(dataset: int, model: ScanModel) -> None:
    if model.sha256 is None:
        console.print(f"Scans of dataset {dataset} train the reference CNN (no model uploaded).")
        return
    console.print(f"Scans of dataset {dataset} use the owner's model:", highlight=False)
    console.print(f"  sha256   {model.sha256}", highlight=False)
    console.print(f"  format   {model.format}, {model.size or 0:,} bytes", highlight=False)
    if model.name:
        console.print(f"  file     {model.name}", highlight=False)
    console.print(f"  classes  {', '.join(model.classes)}", highlight=False)
    if model.checked_on:
        console.print(f"  checked  ran on {model.checked_on}", highlight=False)


@scan_app.command("model")
def model(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    file: Annotated[
        Path | None,
        typer.Argument(help="The model: TorchScript, or safetensors / state-dict weights (reference_cnn)."),
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Go back to the reference CNN each scan trains.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show, set (owner only) or --remove the model the dataset's scans use instead of the reference CNN.

    The server checks the file before storing it: a safe format (never a pickle), one output per label,
    and a run on the dataset's images. Scans started afterwards use it; their reports name its sha256.
    """
    if file is not None and remove:
        fail("give a model FILE or --remove, not both", 2)
    if file is not None and not file.is_file():
        fail(f"not a file: {file}", 2)
    with connect(url, token, login_required=file is not None or remove) as client:
        if file is not None:
            found = client.set_scan_model(dataset, file)
        elif remove:
            found = client.remove_scan_model(dataset)
        else:
            found = client.scan_model(dataset)
    if as_json:
        print_json(found.to_dict())
        return
    _show_model(dataset, found)

"""``sebrus audit``: ask the server to prove that its database, the chain and its blobs agree.

A client of the API like the rest of the CLI; the audit itself runs on the server, next to the
data. The exit status is the verdict, so scripts and cron jobs can act on it: 0 when every audited
dataset is clean, 1 when any has a mismatch (or the server could not be asked). Logged in (the saved
login or ``--token``), each run is new and logged under your name; without a login the server may
answer with the run another caller asked for in the last minute, and the output says so.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from sebrus.cli.output import EXIT_FAILURE, console, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect

SHOWN_FINDINGS = 50


def audit_command(
    dataset: Annotated[
        int | None,
        typer.Option("--dataset", "-d", min=1, help="Audit this dataset only (default: every dataset)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check that every item in the database matches its chain record and blob; exit 1 on any mismatch."""
    with connect(url, token, login_required=False) as client:  # anyone may audit
        ids = [dataset] if dataset is not None else [d.id for d in client.datasets()]
        reports = [client.audit(i) for i in ids]
    clean = all(r["ok"] for r in reports)
    if as_json:
        print_json({"ok": clean, "datasets": reports})
    else:
        for report in reports:
            _show(report)
        if not reports:
            console.print("There are no datasets to audit.")
    if not clean:
        raise typer.Exit(EXIT_FAILURE)


def _show(report: dict[str, Any]) -> None:
    counts = report["counts"]
    verdict = "[green]clean[/]" if report["ok"] else f"[bold red]{counts['findings']} mismatch(es)[/]"
    console.print(
        f"dataset {report['dataset_id']} ({report['dataset_address']}): {verdict} - "
        f"{counts.get('db_items', 0)} items in the database, {counts.get('chain_items', 0)} on chain, "
        f"{counts.get('blobs_checked', 0)} blobs checked, "
        f"blocks {report['from_block']}..{report['head_block']}"
    )
    if report.get("age_seconds", 0) > 0:
        console.print(
            f"  a shared run from {report['age_seconds']:.0f} s ago; "
            "log in (`sebrus user login`) for a new one"
        )
    if report["findings"]:
        table = Table("kind", "item", "expected", "found", "detail")
        for finding in report["findings"][:SHOWN_FINDINGS]:
            table.add_row(
                finding["kind"],
                (finding["content_hash"] or "-")[:16],
                str(finding["expected"]),
                str(finding["found"]),
                finding["detail"],
            )
        console.print(table)
        hidden = len(report["findings"]) - SHOWN_FINDINGS
        if hidden > 0:
            console.print(f"... and {hidden} more; use --json for all of them.")
    orphans = counts.get("orphan_blobs", 0)
    if orphans:
        console.print(
            f"  store: {orphans} blob(s) no row refers to (a crash's leftovers), e.g. "
            + ", ".join(key[:16] for key in report.get("orphan_blobs", [])[:3])
        )
    refused = counts.get("read_mismatches", 0)
    if refused:
        console.print(
            f"  reads: {refused} image read(s) refused because the bytes no longer matched their hash, "
            "latest " + ", ".join(m["content_hash"][:16] for m in report.get("read_mismatches", [])[:3])
        )
    for note in report["outbox"]:
        console.print(
            f"  outbox: {note['content_hash'][:16]} is {note['state']} after {note['age_seconds']} s "
            f"({note['attempts']} attempts){': ' + note['error'] if note['error'] else ''}"
        )

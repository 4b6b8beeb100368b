"""Incident response from the command line (a client of the API, like the rest of the CLI).

``sebrus trace DATASET SHA256``, ``sebrus audit-log export DATASET``, ``sebrus monitor DATASET`` and
``sebrus contributor revoke|clear|reinstate|list``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sebrus.cli.output import console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect

DatasetArg = Annotated[int, typer.Argument(min=1, help="The dataset's id.")]
AddressArg = Annotated[str, typer.Argument(help="The contributor's wallet address.")]

audit_log_app = typer.Typer(help="The dataset's append-only audit log.", no_args_is_help=True)
contributor_app = typer.Typer(
    help="Revoke, clear and reinstate contributors (owner only).", no_args_is_help=True
)


def trace_command(
    dataset: DatasetArg,
    sha256: Annotated[str, typer.Argument(help="The item's sha256, or any unique start of it.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """An item's whole history: upload, wallet, transaction, chain events, votes, scans, releases."""
    with connect(url, token, login_required=True) as client:
        trace = client.trace(dataset, client.resolve_item(dataset, sha256))
    if as_json:
        print_json(trace)
        return
    _show_trace(trace)


def _show_trace(trace: dict[str, Any]) -> None:
    item, who, upload = trace["item"], trace["contributor"], trace["upload"]
    console.print(
        f"Item {trace['sha256']} in dataset {trace['dataset']['id']} ({trace['dataset']['address']})"
    )
    if item is not None:
        console.print(
            f"  label {item['label']}, status {item['status']}, {item['size']} bytes {item['media_type']}"
        )
        console.print(f"  anchored in tx {item['tx_hash']} (block {item['block_number']})")
    console.print(
        f"  contributor {who['wallet']} ({who['username'] or 'unknown user'}, {who['wallet_kind'] or '-'})"
    )
    if upload is not None:
        console.print(
            f"  upload accepted {upload['accepted_at']}, "
            f"outbox {upload['state']} after {upload['attempts']} attempt(s)"
        )
    table = Table("block", "event", "tx", "details", title="On chain")
    for event in trace["chain_events"] or []:
        details = ", ".join(f"{k}={v}" for k, v in event["details"].items())
        table.add_row(str(event["block_number"]), event["event"], event["tx_hash"][:18], details)
    console.print(table)
    for vote in trace["votes"]:
        console.print(
            f"  vote round {vote['round']}: {vote['side'] or 'hidden'} "
            f"by {vote['voter']} ({vote['round_state']})"
        )
    for scan in trace["scans"]:
        state = "FLAGGED" if scan["flagged"] else "clean"
        reasons = "; ".join(r.get("detail", r.get("detector", "")) for r in scan["reasons"])
        console.print(f"  scan {scan['scan']}: {state}, suspicion {scan['suspicion']:.3f} {reasons}")
    for release in trace["releases"]:
        why = f": {release['reason']}" if release.get("reason") else ""
        console.print(f"  release v{release['version']}: {release['change']} as {release['label']}{why}")
    for revocation in trace["revocations"]:
        console.print(
            f"  revocation {revocation['revocation']} ({revocation['state']}): {revocation['action']}, "
            f"cleared={revocation['cleared']}: {revocation['reason']}"
        )


@audit_log_app.command("export")
def export_audit_log(
    dataset: DatasetArg,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    after: Annotated[int, typer.Option(min=0, help="Only entries with a larger id (resume an export).")] = 0,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Every owner action and automated decision on the dataset, oldest first."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format must be jsonl or csv, got {fmt!r}", 2)
    with connect(url, token, login_required=True) as client:
        data = client.audit_log(dataset, fmt, after)
    if out is None:
        sys.stdout.buffer.write(data)
        return
    out.write_bytes(data)
    lines = data.count(b"\n") - (1 if fmt == "csv" else 0)
    console.print(f"Wrote {lines} entries to {out}")


def monitor_command(
    dataset: DatasetArg, url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Each release's reference model on the held-out seed images (per class in --json), and any alert."""
    with connect(url, token, login_required=False) as client:
        body = client.metrics(dataset)
    if as_json:
        print_json({"metrics": body["metrics"], "alert": body["alert"]})
        return
    table = Table("version", "state", "accuracy", "drop", "trained on", "held out", "message")
    for m in body["metrics"]:
        accuracy = f"{m['accuracy']:.1%}" if m["accuracy"] is not None else "-"
        drop = f"{m['drop']:+.1%}" if m["drop"] is not None else "-"
        table.add_row(
            str(m["version"]),
            m["state"],
            accuracy,
            drop,
            str(m["n_train"]),
            str(m["n_heldout"]),
            m["message"],
        )
    console.print(table)
    alert = body["alert"]
    if alert is None:
        return
    sources = alert["sources"]
    console.print(f"[bold red]ALERT[/] {alert['message']}; likely sources:")
    for c in sources.get("classes", []):
        console.print(f"  class {c['label']}: lost {c['drop']:.2f} of its true-label probability")
    for p in sources.get("pairs", []):
        console.print(
            f"  pair {p['from']} -> {p['to']}: mass {p['mass_before']:.2f} -> {p['mass_now']:.2f}; "
            f"{p['items_labelled_to']} release items labelled {p['to']}"
        )
    for c in sources.get("contributors", []):
        console.print(
            f"  contributor {c['contributor']}: {c['suspect_items']} item(s) labelled like the pair's "
            f"target but looking like its source (p={c['p_value']:.2g}; {', '.join(c.get('pairs', []))})"
        )
    for c in sources.get("confirmations", []):
        console.print(
            f"  without {c['contributor']}'s {c['items_left_out']} items: {c['label']} true-label "
            f"probability {c['true_prob_now']:.2f} -> {c['true_prob_without']:.2f}"
        )


@contributor_app.command("revoke")
def revoke(
    dataset: DatasetArg,
    contributor: AddressArg,
    reason: Annotated[str, typer.Option(help="Why (its sha256 goes on chain).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hold every item of the contributor, quarantine the open ones on chain, and rescan."""
    with connect(url, token, login_required=True) as client:
        revocation = client.revoke(dataset, contributor, reason)
    if as_json:
        print_json(revocation)
        return
    console.print(revocation["status"])
    console.print(
        f"  tx {revocation['tx_hash']}; rescan {revocation['rescan_id'] or revocation['rescan_error']}"
    )


@contributor_app.command("clear")
def clear(
    dataset: DatasetArg,
    contributor: AddressArg,
    note: Annotated[str, typer.Option(help="What the new check was.")],
    item: Annotated[
        list[str] | None,
        typer.Option(
            "--item",
            help="A held item's sha256 (or any unique start of it) to release, even if flagged (repeatable).",
        ),
    ] = None,
    items_file: Annotated[
        Path | None,
        typer.Option(
            "--items-file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A file of held items' sha256 to release, one a line (# comments allowed).",
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Release held items: the ones named, or by default only those the revocation's rescan found
    unremarkable. Flagged, unscored and suspicious-scoring items stay held unless named; with no items
    named, clear is refused until the rescan has finished."""
    named = list(item or [])
    if items_file is not None:
        lines = items_file.read_text(encoding="utf-8", errors="replace").splitlines()
        from_file = [ln.split("#", 1)[0].strip() for ln in lines]
        from_file = [h for h in from_file if h]
        if not from_file:
            fail(f"--items-file {items_file} names no item", 2)
        named += from_file
    with connect(url, token, login_required=True) as client:
        named = [client.resolve_item(dataset, typed) for typed in named]
        body = client.clear_held_report(dataset, contributor, note, named or None)
    if as_json:
        print_json(body)
        return
    console.print(body["status"])
    if body.get("rescan"):
        console.print(f"  {body['rescan']}")
    for sha in body["cleared"]:
        console.print(f"  released {sha}")
    for held in body.get("still_held", []):
        console.print(f"  held     {held['sha256']}: {held['reason']}")


@contributor_app.command("reinstate")
def reinstate(
    dataset: DatasetArg,
    contributor: AddressArg,
    reason: Annotated[str, typer.Option(help="Why the revocation is lifted.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Lift a revocation: the contributor's items are no longer held."""
    with connect(url, token, login_required=True) as client:
        revocation = client.reinstate(dataset, contributor, reason)
    console.print(f"Reinstated {revocation['contributor']} (tx {revocation.get('tx_hash')}).")


@contributor_app.command("list")
def list_revocations(
    dataset: DatasetArg, url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """The dataset's revocations, with how many items each holds."""
    with connect(url, token, login_required=True) as client:
        found = client.revocations(dataset)
    if as_json:
        print_json(found)
        return
    table = Table("id", "contributor", "state", "items", "cleared", "reason")
    for r in found:
        items = r.get("items", [])
        table.add_row(
            str(r["id"]),
            r["contributor"],
            r["state"],
            str(len(items)),
            str(sum(i["cleared"] for i in items)),
            r["reason"],
        )
    console.print(table)

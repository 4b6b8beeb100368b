"""``sebrus release``: publish, list, show, diff and export a dataset's releases (a client of the API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sebrus.cli.output import console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.releases.export import FORMATS, ExportError
from sebrus.sdk.releases import Release

release_app = typer.Typer(help="Publish and download a dataset's releases.", no_args_is_help=True)


def _parse_exclusions(values: list[str]) -> dict[str, str]:
    excluded: dict[str, str] = {}
    for value in values:
        sha, sep, reason = value.partition("=")
        if not sep or not reason.strip():
            fail(f"--exclude takes SHA256=REASON (say why the item is left out), got {value!r}", 2)
        excluded[sha.strip()] = reason.strip()
    return excluded


def _show(release: Release) -> None:
    console.print(f"Release {release.version} of dataset {release.dataset_id}: {release.item_count} item(s)")
    console.print(f"  Merkle root     {release.merkle_root}")
    console.print(f"  manifest hash   {release.manifest_hash}")
    console.print(f"  chain           {release.chain_id}, registry {release.registry}")
    console.print(f"  dataset         {release.dataset_address}")
    console.print(f"  transaction     {release.tx_hash or '-'} (block {release.block_number or '-'})")
    console.print(f"  published       {release.published_at} by {release.publisher}")
    if release.notes:
        console.print(f"  notes           {release.notes}")
    for removal in release.removed:
        console.print(f"  removed         {removal.sha256} ({removal.label}): {removal.reason}")


@release_app.command("publish")
def publish(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    notes: Annotated[str, typer.Option(help="What this release is, for people.")] = "",
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave an approved item out: SHA256=REASON, any unique start of the sha256 (repeatable).",
        ),
    ] = None,
    version: Annotated[
        int | None, typer.Option(min=1, help="The version you expect; a retry then returns the same release.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish the dataset's Approved items as its next release, on chain and on the server."""
    excluded = _parse_exclusions(exclude or [])
    with connect(url, token, login_required=True) as client:
        excluded = {client.resolve_item(dataset, sha): reason for sha, reason in excluded.items()}
        release = client.publish_release(dataset, notes=notes, exclude=excluded, version=version)
    if as_json:
        print_json(release.to_dict())
        return
    _show(release)


@release_app.command("list")
def list_releases(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every release of a dataset, oldest first."""
    with connect(url, token, login_required=False) as client:
        found = client.releases(dataset)
    if as_json:
        print_json([r.to_dict() for r in found])
        return
    if not found:
        console.print(f"Dataset {dataset} has no releases yet.")
        return
    table = Table("version", "items", "removed", "Merkle root", "published")
    for r in found:
        table.add_row(str(r.version), str(r.item_count), str(len(r.removed)), r.merkle_root, r.published_at)
    console.print(table)


@release_app.command("show")
def show(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    version: Annotated[int, typer.Argument(help="The release's version.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """One release: its root, hashes, transaction and what it removed."""
    with connect(url, token, login_required=False) as client:
        release = client.release(dataset, version)
    if as_json:
        print_json(release.to_dict())
        return
    _show(release)


@release_app.command("diff")
def diff(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    older: Annotated[int, typer.Argument(help="The older release.")],
    newer: Annotated[int, typer.Argument(help="The newer release.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Items added, removed (with why) and relabelled between two releases."""
    with connect(url, token, login_required=False) as client:
        changes = client.diff_releases(dataset, older, newer)
    if as_json:
        print_json({k: changes[k] for k in ("from", "to", "added", "removed", "relabelled")})
        return
    for item in changes["added"]:
        console.print(f"+ {item['sha256']} {item['label']}")
    for item in changes["removed"]:
        console.print(f"- {item['sha256']} {item['label']}: {item['reason']}")
    for item in changes["relabelled"]:
        console.print(f"~ {item['sha256']} {item['from']} -> {item['to']}")
    counts = (len(changes["added"]), len(changes["removed"]), len(changes["relabelled"]))
    console.print(f"{older} -> {newer}: {counts[0]} added, {counts[1]} removed, {counts[2]} relabelled")


@release_app.command("export")
def export(
    dataset: Annotated[int, typer.Argument(help="The dataset's id.")],
    version: Annotated[int, typer.Argument(help="The release's version.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="A new (or empty) folder to write.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "imagefolder",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a release, checking every image's sha256, with release.json (root, chain id, addresses)."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}", 2)
    with connect(url, token, login_required=False) as client:
        release = client.release(dataset, version)
        try:
            written = client.export_release(dataset, version, out, fmt)
        except ExportError as exc:
            fail(str(exc))
    if as_json:
        print_json(
            {
                "out": str(written),
                "format": fmt,
                "items": release.item_count,
                "merkle_root": release.merkle_root,
            }
        )
        return
    console.print(f"Wrote release {version} ({release.item_count} items, {fmt}) to {written}")
    console.print(f"Merkle root {release.merkle_root}; check it with `sebrus verify {written}`")

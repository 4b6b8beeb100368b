"""``sebrus verify DIR``: check an exported release offline, and against the chain when given a URL.

Exit codes: 0 verified, 1 the files do not match (each one named), 2 the folder is not a release or the
chain cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sebrus.cli.output import EXIT_FAILURE, EXIT_USAGE, console, errors, fail, print_json
from sebrus.cli.remote import JsonOption
from sebrus.releases.document import ReleaseDocumentError
from sebrus.releases.verify import ChainLookup, verify_export

SERVERS_OWN_CHAIN = (
    "Chain {chain_id} is a SeBRUS server's embedded chain, read through that server's /rpc: this checked the "
    "release against the server's own claims, not against an independent node."
)
NOT_CONSULTED = (
    "The chain was NOT consulted: this only proves the files match release.json, which anyone could rewrite "
    "along with them. Pass --chain-url to compare the Merkle root with the ReleaseRegistry."
)


def verify_command(
    directory: Annotated[Path, typer.Argument(help="The folder `sebrus release export` wrote.")],
    chain_url: Annotated[
        str | None, typer.Option("--chain-url", help="A JSON-RPC URL of the chain the release is on.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every sha256 and the Merkle root; name each file changed, added, removed or relabelled."""
    lookup: ChainLookup | None = None
    if chain_url is not None:
        from sebrus.chain.errors import LedgerError
        from sebrus.chain.releases import read_release_at

        def lookup(registry: str, dataset: str, version: int) -> Any:
            try:
                return read_release_at(chain_url, registry, dataset, version)
            except LedgerError as exc:
                fail(f"cannot check the chain: {exc}", EXIT_USAGE)

    try:
        report = verify_export(directory, lookup)
    except ReleaseDocumentError as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        print_json(report.as_json())
    else:
        for finding in report.findings:
            errors.print(
                f"[bold red]{finding.kind}[/] {finding.path}: {finding.detail}", markup=True, highlight=False
            )
        state = "[green]verified[/]" if report.ok else "[bold red]FAILED[/]"
        console.print(
            f"{state}: release {report.version} of {report.dataset} on chain {report.chain_id}, "
            f"{report.files_checked} files, Merkle root {report.recomputed_root or '-'}"
        )
        if report.chain_consulted:
            console.print(f"Chain root {report.chain_root or '-'} (registry {report.registry}, {chain_url})")
            from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID  # py-evm: only when a chain was read

            if report.chain_id == EMBEDDED_CHAIN_ID:
                console.print(SERVERS_OWN_CHAIN.format(chain_id=report.chain_id), style="yellow")
        else:
            console.print(NOT_CONSULTED, style="yellow")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)

"""``sebrus chain``: deploy the contracts, inspect the chain, and tail its events."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from sebrus.chain.backends import ChainHandle, open_chain, view_chain
from sebrus.chain.errors import LedgerError
from sebrus.chain.ledger import Ledger
from sebrus.chain.operators import ROLES, write_keystore
from sebrus.cli.output import console, fail, print_json
from sebrus.config import Settings
from sebrus.primitives import format_eth

chain_app = typer.Typer(help="Deploy SeBRUS's contracts and inspect the chain.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@contextmanager
def _opened() -> Iterator[ChainHandle]:
    from sebrus.chain.embedded_store import ChainLocked

    try:
        handle = open_chain(Settings())
    except ChainLocked as exc:
        fail(
            f"{exc} (is `sebrus serve` running? it owns the embedded chain while it runs; read it "
            "through the server instead: `sebrus chain status --url http://HOST:PORT/rpc`)"
        )
    except LedgerError as exc:
        fail(str(exc))
    try:
        yield handle
    except LedgerError as exc:
        fail(str(exc))
    finally:
        handle.close()


@chain_app.command("init")
def init(as_json: JsonFlag = False) -> None:
    """Deploy the contracts (once) and record their addresses in the data directory."""
    with _opened() as handle:
        already = handle.ledger.is_deployed
        deployment = handle.init()
        if as_json:
            print_json({"newly_deployed": not already, **asdict(deployment)})
            return
        verb = "already deployed" if already else "deployed"
        console.print(f"SeBRUS contracts {verb} on chain {deployment.chain_id} ({handle.backend})")
        console.print(f"  DatasetManager  {deployment.manager}")
        console.print(f"  Dataset (impl)  {deployment.dataset_implementation}")
        console.print(f"  ReleaseRegistry {deployment.release_registry}")
        console.print(f"  FederationLog   {deployment.federation_log}")


@chain_app.command("status")
def status(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Read the chain at this JSON-RPC URL instead of opening it, e.g. a running server's "
            "http://HOST:PORT/rpc (which owns the embedded chain while it runs). Needs no keys.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Network, block, contract addresses and operator balances."""
    if url is not None:
        report = _status_at(url)
    else:
        with _opened() as handle:
            report = _report(handle.ledger, handle.backend, handle.url, handle.operators.addresses())
    if as_json:
        print_json(report)
        return
    table = Table(show_header=False, box=None)
    table.add_row("backend", f"{report['backend']} ({report['location']})")
    table.add_row("chain id", str(report["chain_id"]))
    table.add_row("block", str(report["block"]))
    contracts: dict[str, Any] | None = report["contracts"]  # type: ignore[assignment]
    if contracts is not None:
        table.add_row("DatasetManager", str(contracts["manager"]))
        table.add_row("Dataset impl", str(contracts["dataset_implementation"]))
        table.add_row("ReleaseRegistry", str(contracts["release_registry"]))
        table.add_row("FederationLog", str(contracts.get("federation_log")))
        table.add_row("datasets", str(report["datasets"]))
    elif url is None:
        table.add_row("contracts", "not deployed: run `sebrus chain init`")
    else:
        table.add_row("contracts", "none recorded for this chain in this data directory")
    operators: dict[str, dict[str, Any]] = report["operators"]  # type: ignore[assignment]
    for role, info in operators.items():
        table.add_row(role, f"{info['address']}  {format_eth(int(info['balance_wei']))}")
    console.print(table)


def _status_at(url: str) -> dict[str, object]:
    try:
        view = view_chain(Settings(), url)
        return _report(view.ledger, "rpc", url, view.operator_addresses)
    except LedgerError as exc:
        fail(str(exc))


def _report(ledger: Ledger, backend: str, location: str, operators: dict[str, str]) -> dict[str, object]:
    deployed = ledger.is_deployed
    return {
        "backend": backend,
        "location": location,
        "chain_id": ledger.chain_id,
        "block": ledger.block_number(),
        "deployed": deployed,
        "contracts": asdict(ledger.deployment) if deployed else None,
        "datasets": ledger.dataset_count() if deployed else 0,
        "operators": {
            role: {"address": address, "balance_wei": ledger.balance(address)}
            for role, address in operators.items()
        },
    }


@chain_app.command("events")
def events(
    from_block: Annotated[int, typer.Option("--from-block", min=0, help="First block to read.")] = 0,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep waiting for new events.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls with --follow.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print SeBRUS events (datasets created, items submitted, quarantined, resolved)."""
    with _opened() as handle:
        ledger = handle.ledger
        if not ledger.is_deployed:
            fail("the contracts are not deployed on this chain; run `sebrus chain init`")
        start = max(from_block, ledger.deployment.block_number)
        while True:
            head = ledger.block_number()
            if head >= start:
                for event in ledger.events(start, head):
                    _print_event(
                        event.name, event.block_number, event.log_index, event.address, event.args, as_json
                    )
                start = head + 1
            if not follow:
                return
            sys.stdout.flush()
            time.sleep(interval)


def _print_event(
    name: str, block: int, log_index: int, address: str, args: dict[str, object], as_json: bool
) -> None:
    shown = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in args.items()}
    if as_json:
        import json

        sys.stdout.write(
            json.dumps(
                {"event": name, "block": block, "log_index": log_index, "address": address, "args": shown}
            )
            + "\n"
        )
    else:
        details = " ".join(f"{k}={v}" for k, v in shown.items())
        console.print(f"[dim]{block}:{log_index}[/] [bold]{name}[/] {address} {details}", highlight=False)


@chain_app.command("import-key")
def import_key(
    role: Annotated[str, typer.Argument(help=f"Operator role: {', '.join(ROLES)}.")],
) -> None:
    """Encrypt a private key (read from standard input) into the keystore for an rpc chain."""
    settings = Settings()
    if role not in ROLES:
        fail(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not settings.keystore_password:
        fail("set SEBRUS_KEYSTORE_PASSWORD: it encrypts the keystore")
    key = sys.stdin.readline().strip()
    try:
        address = write_keystore(settings.resolved_keystore_dir, role, key, settings.keystore_password)
    except (ValueError, TypeError) as exc:
        fail(f"not a private key: {exc}")
    console.print(f"{role} keystore written for {address} in {settings.resolved_keystore_dir}")

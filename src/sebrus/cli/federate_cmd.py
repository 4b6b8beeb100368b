"""``sebrus federate``: take part in a federation on Flower. ``join`` runs a client on this machine.

The images under ``--data`` never leave it: only model weights and a signed, ε-LDP loss report go
to the server each round (see ``sebrus.federated``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

federate_app = typer.Typer(
    name="federate",
    help="Train a dataset's model with others without sharing images (federated learning on Flower).",
    no_args_is_help=True,
)


def _parse_server(server: str) -> str:
    host, sep, port = server.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"expected HOST:PORT, got {server!r}", param_hint="--server")
    return server


@federate_app.command("join")
def join(
    dataset: Annotated[int, typer.Option("--dataset", help="Id of the federation (the dataset) to join.")],
    data: Annotated[Path, typer.Option("--data", help="Local ImageFolder: DIR/<label>/<image>. Stays here.")],
    server: Annotated[str, typer.Option("--server", help="The federation server, HOST:PORT.")],
    key_file: Annotated[
        Path,
        typer.Option("--key-file", help="Wallet key: a 0x-hex private key, or an encrypted keystore JSON."),
    ],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="SEBRUS_KEYSTORE_PASSWORD",
            help="Keystore password (or SEBRUS_KEYSTORE_PASSWORD).",
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to keep retrying until the server is up.")
    ] = 120.0,
) -> None:
    """Join federation DATASET as the wallet in KEY_FILE, training on DATA each round until it ends."""
    address = _parse_server(server)
    if not data.is_dir():
        raise typer.BadParameter(f"data directory not found: {data}", param_hint="--data")
    if dataset < 1:
        raise typer.BadParameter("federation ids start at 1", param_hint="--dataset")
    from sebrus.federated.keys import KeyFileError, load_account

    try:
        account = load_account(key_file, password)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--key-file") from exc
    from sebrus.federated.client import DataError, LocalData, SebrusClient
    from sebrus.federated.transport import join as join_federation

    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
    client = SebrusClient(LocalData(folder=data), account, dataset)
    typer.echo(f"Joining federation {dataset} at {address} as {account.address}", err=True)
    try:
        join_federation(client, address, max_wait_time=wait)
    except DataError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except Exception as exc:  # grpc errors: the server went away or never came up
        typer.echo(
            f"Error: the federation at {address} could not be reached or ended abnormally: {exc}", err=True
        )
        raise typer.Exit(1) from exc
    typer.echo(f"Federation {dataset} finished after {client.rounds_done} rounds.", err=True)

"""``sebrus federate``: run a dataset's federated training beside the server, follow it, verify its model.

``start`` is a client of the API like ``sebrus release``: it asks the server to open the federation
(the owner's wallet signs on chain), then runs the Flower server in this process; each round the
engine's strategy decides is handed to a ``RemoteRoundSink``, which sends it to the API, where the
server that holds the chain anchors it (one transaction per round) and stores it. So the Flower server
runs next to ``sebrus serve`` (or anywhere that reaches its API) and clients run anywhere that reaches
the Flower server. The engine (``sebrus.federated.server``) comes with the ``federated`` extra.

``join`` runs a client on this machine: the images under ``--data`` never leave it; only model
weights and a signed, ε-LDP loss report go to the Flower server each round (``sebrus.federated``).

``run`` runs the Flower server of a federation opened elsewhere (the dataset page's form, the API),
as long as it has no rounds yet.

``verify`` trusts neither the file nor the server's word: it hashes the file and reads the model's
hash from the FederationLog through a JSON-RPC URL (the server's ``/rpc`` unless ``--chain-url``).
Exit codes: 0 verified, 1 it does not match (or nothing is anchored), 2 a usage or chain error.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sebrus.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect

if TYPE_CHECKING:
    from sebrus.sdk import Client
    from sebrus.sdk.federations import FederationInfo

federate_app = typer.Typer(
    help="Federated training: clients keep their images and train locally.", no_args_is_help=True
)

MISSING_ENGINE = (
    "The federated engine is not installed here ({problem}): install sebrus with the `federated` extra "
    "(pip install 'sebrus[federated]') to run the Flower server."
)
SERVERS_OWN_CHAIN = (
    "Read through {url}, the server's own embedded chain: this checks the file against the server's "
    "anchored claim; pass --chain-url to ask an independent node."
)


def _summary(federation: FederationInfo) -> None:
    config = federation.config
    console.print(
        f"Federation {federation.id} of dataset {federation.dataset_id}: {federation.status}, "
        f"{len(federation.rounds)}/{config.get('rounds')} round(s) anchored"
    )
    console.print(
        f"  ε {config.get('epsilon')} ({config.get('mechanism')}), model {config.get('model')}, "
        f"elimination {config.get('elimination')}, labels {', '.join(config.get('labels', []))}"
    )
    console.print(
        f"  chain {federation.chain_id}, log {federation.federation_log} #{federation.chain_federation_id}"
    )
    if federation.model_sha256:
        console.print(f"  final model     {federation.model_sha256} (tx {federation.model_tx_hash})")
    if federation.rounds:
        table = Table("round", "participants", "excluded", "refused", "aggregate sha256", "transaction")
        for row in federation.rounds:
            table.add_row(
                str(row["round_index"]),
                str(len(row["participants"])),
                "\n".join(row["excluded"]) or "-",
                str(len(row["refused"])),
                row["aggregate_sha256"][:16] + "…",
                row["tx_hash"],
            )
        console.print(table)


@federate_app.command("start")
def start(
    dataset: Annotated[int, typer.Option("--dataset", min=1, help="The dataset's id (you must own it).")],
    rounds: Annotated[int, typer.Option(min=1, max=500, help="How many Flower rounds to run.")],
    epsilon: Annotated[str, typer.Option(help='The clients\' ε-LDP budget: a number above 0, or "inf".')],
    labels: Annotated[
        str | None, typer.Option(help="Comma-separated labels to train on (all of the dataset's by default).")
    ] = None,
    mechanism: Annotated[str, typer.Option(help="laplace or gaussian.")] = "laplace",
    model: Annotated[
        str, typer.Option(help="reference (the reference CNN) or uploaded (the dataset's model).")
    ] = ("reference"),
    elimination: Annotated[str, typer.Option(help="high-loss-cluster or none.")] = "high-loss-cluster",
    min_clients: Annotated[int, typer.Option(min=1, help="Clients each round waits for.")] = 2,
    image_size: Annotated[
        int | None,
        typer.Option(
            min=8, max=256, help="Side clients resize images to (default: the dataset's fixed size, else 28)."
        ),
    ] = None,
    channels: Annotated[int, typer.Option(min=1, max=3, help="1 (greyscale) or 3 (colour).")] = 1,
    address: Annotated[
        str, typer.Option(help="Where the Flower server listens for clients.")
    ] = "0.0.0.0:8080",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Open a federation on the dataset, then run its Flower server here until the last round."""
    try:
        eps: float | str = "inf" if epsilon.strip().lower() == "inf" else float(epsilon)
    except ValueError:
        fail(f'--epsilon must be a number above 0 or "inf", got {epsilon!r}', EXIT_USAGE)
    try:  # before anything is opened on chain: without the engine nothing could run it
        import sebrus.federated.server  # noqa: F401
    except ImportError as exc:
        fail(MISSING_ENGINE.format(problem=exc), EXIT_USAGE)

    request: dict[str, Any] = {
        "rounds": rounds,
        "epsilon": eps,
        "mechanism": mechanism,
        "model": model,
        "elimination": elimination,
        "min_clients": min_clients,
        "in_channels": channels,
    }
    if image_size is not None:
        request["image_size"] = image_size
    if labels is not None:
        request["labels"] = [label.strip() for label in labels.split(",") if label.strip()]
    with connect(url, token, login_required=True) as client:
        federation = client.start_federation(dataset, **request)
        console.print(f"Federation {federation.id} opened on chain (tx {federation.raw['open_tx_hash']}).")
        console.print(
            f"Flower server listening on {address}; clients join with "
            f"`sebrus federate join --federation {federation.id} --server HOST:PORT --data DIR "
            "--key-file KEY`."
        )
        _serve(client, federation, address)


def _serve(client: Client, federation: FederationInfo, address: str) -> None:
    """Run the federation's Flower server here until its last round, then show what was anchored."""
    from sebrus.federated.server import run_federation_server
    from sebrus.sdk.federations import RemoteRoundSink

    config = {
        **federation.config,
        "federation_id": federation.id,
        "dataset_id": federation.dataset_id,
        "server_address": address,
    }
    run_federation_server(config, RemoteRoundSink(client))
    _summary(client.federation(federation.id))


@federate_app.command("run")
def run(
    federation_id: Annotated[int, typer.Option("--federation", min=1, help="An opened federation's id.")],
    address: Annotated[
        str, typer.Option(help="Where the Flower server listens for clients.")
    ] = "0.0.0.0:8080",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Run the Flower server of a federation opened elsewhere (the page, the API) that has no rounds yet."""
    try:  # nothing to send without the engine
        import sebrus.federated.server  # noqa: F401
    except ImportError as exc:
        fail(MISSING_ENGINE.format(problem=exc), EXIT_USAGE)
    with connect(url, token, login_required=True) as client:
        federation = client.federation(federation_id)
        if federation.status != "running":
            fail(f"Federation {federation_id} has finished: its final model is recorded.", EXIT_USAGE)
        if federation.rounds:
            fail(
                f"Federation {federation_id} already has {len(federation.rounds)} anchored round(s); a new "
                "Flower server would start again from round 1 with other weights. Start a new federation.",
                EXIT_USAGE,
            )
        console.print(f"Flower server for federation {federation_id} listening on {address}.")
        _serve(client, federation, address)


@federate_app.command("status")
def status(
    dataset: Annotated[int, typer.Option("--dataset", min=1, help="The dataset's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """The dataset's federations, newest first: rounds, exclusions, the final model and the transactions."""
    with connect(url, token, login_required=False) as client:
        found = client.federations(dataset)
    if as_json:
        print_json([f.raw for f in found])
        return
    if not found:
        console.print(f"Dataset {dataset} has no federations.")
    for federation in found:
        _summary(federation)


@federate_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The model file to check.")],
    federation_id: Annotated[int, typer.Option("--federation", min=1, help="The federation's id.")],
    chain_url: Annotated[
        str | None,
        typer.Option("--chain-url", help="A JSON-RPC URL of the chain (default: the server's /rpc)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hash FILE and compare it with the final model's sha256 anchored on chain for the federation."""
    from sebrus.chain.errors import LedgerError
    from sebrus.chain.federation import read_federation_at

    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    with connect(url, token, login_required=False) as client:
        federation = client.federation(federation_id)
    rpc = chain_url or f"{url.rstrip('/')}/rpc"
    try:
        on_chain = read_federation_at(rpc, federation.federation_log, federation.chain_federation_id)
    except LedgerError as exc:
        fail(f"cannot check the chain: {exc}", EXIT_USAGE)
    anchored = None if on_chain is None or on_chain.model_sha256 is None else on_chain.model_sha256.hex()
    report = {"file": str(file), "sha256": sha, "anchored_sha256": anchored, "verified": anchored == sha}
    if as_json:
        print_json(report)
    elif anchored is None:
        console.print(f"Federation {federation_id} has no final model anchored on chain.")
    else:
        state = "[green]verified[/]" if anchored == sha else "[bold red]FAILED[/]"
        console.print(f"{state}: {file} hashes to {sha}; the chain holds {anchored}.")
        if chain_url is None:
            console.print(SERVERS_OWN_CHAIN.format(url=rpc))
    if anchored != sha:
        raise typer.Exit(EXIT_FAILURE)


def _parse_server(server: str) -> str:
    host, sep, port = server.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"expected HOST:PORT, got {server!r}", param_hint="--server")
    return server


@federate_app.command("join")
def join(
    federation: Annotated[
        int,
        typer.Option(
            "--federation",
            help="Id of the federation to join (`federate start` prints it; not the dataset's).",
        ),
    ],
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
    """Join FEDERATION as the wallet in KEY_FILE, training on DATA each round until it ends."""
    address = _parse_server(server)
    if not data.is_dir():
        raise typer.BadParameter(f"data directory not found: {data}", param_hint="--data")
    if federation < 1:
        raise typer.BadParameter("federation ids start at 1", param_hint="--federation")
    from sebrus.federated.keys import KeyFileError, load_account

    try:
        account = load_account(key_file, password)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--key-file") from exc
    from sebrus.federated.client import DataError, LocalData, SebrusClient
    from sebrus.federated.transport import join as join_federation

    client = SebrusClient(LocalData(folder=data), account, federation)
    typer.echo(f"Joining federation {federation} at {address} as {account.address}", err=True)
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
    if client.last_round < client.planned_rounds:
        typer.echo(
            f"Error: the server ended federation {federation} after round {client.last_round} of "
            f"{client.planned_rounds} (the owner's `sebrus federate start` says why).",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Federation {federation} finished after {client.rounds_done} rounds.", err=True)

"""``sebrus dataset``: create a dataset on chain, list them, show one, and edit what may change."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sebrus.cli.output import console, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.sdk import Dataset

dataset_app = typer.Typer(help="Create and browse datasets.", no_args_is_help=True)

Bound = Annotated[int | None, typer.Option(min=1, show_default=False)]


@dataset_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    label: Annotated[
        list[str], typer.Option("--label", "-l", help="A label of the dataset; repeat for each.")
    ],
    description: Annotated[str, typer.Option(help="What the dataset is for.")] = "",
    max_bytes: Annotated[
        int | None, typer.Option(min=1, help="Largest accepted upload, in bytes.", show_default=False)
    ] = None,
    min_width: Bound = None,
    max_width: Bound = None,
    min_height: Bound = None,
    max_height: Bound = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a dataset, anchored on chain and owned by you."""
    with connect(url, token, login_required=True) as client:
        dataset = client.create_dataset(
            name,
            description,
            label,
            max_bytes=max_bytes,
            min_width=min_width,
            max_width=max_width,
            min_height=min_height,
            max_height=max_height,
        )
    if as_json:
        print_json(dataset.to_dict())
        return
    console.print(f"Created dataset [bold]{dataset.id}[/] ({dataset.name}) at {dataset.address}")
    console.print(f"Upload to it with: sebrus upload FOLDER --dataset {dataset.id}")


@dataset_app.command("edit")
def edit(
    dataset_id: Annotated[int, typer.Argument(metavar="ID", help="The dataset's id.")],
    name: Annotated[str | None, typer.Option(help="A new name.", show_default=False)] = None,
    description: Annotated[str | None, typer.Option(help="A new description.", show_default=False)] = None,
    license: Annotated[
        str | None,
        typer.Option(
            "--license",
            help='SPDX licence expression (CC-BY-4.0) or licence URL; "" clears it. Exports state it.',
            show_default=False,
        ),
    ] = None,
    cite_as: Annotated[
        str | None,
        typer.Option(
            "--cite-as", help='How to cite the dataset (e.g. BibTeX); "" clears it.', show_default=False
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rename a dataset, re-describe it, or state its licence and citation (owner only)."""
    if name is None and description is None and license is None and cite_as is None:
        raise typer.BadParameter("say what to change: --name, --description, --license or --cite-as")
    with connect(url, token, login_required=True) as client:
        dataset = client.update_dataset(
            dataset_id, name=name, description=description, license=license, cite_as=cite_as
        )
    if as_json:
        print_json(dataset.to_dict())
        return
    _print_dataset(dataset)


@dataset_app.command("list")
def list_datasets(
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Every dataset on the server."""
    with connect(url, token, login_required=False) as client:
        found = client.datasets()
    if as_json:
        print_json([d.to_dict() for d in found])
        return
    if not found:
        console.print("No datasets yet. Create one with `sebrus dataset create NAME --label ...`.")
        return
    table = Table("id", "name", "labels", "owner", "address")
    for d in found:
        table.add_row(str(d.id), d.name, ", ".join(d.labels), _owner(d), d.address)
    console.print(table)


@dataset_app.command("show")
def show(
    dataset_id: Annotated[int, typer.Argument(metavar="ID", help="The dataset's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """One dataset's details and limits."""
    with connect(url, token, login_required=False) as client:
        dataset = client.dataset(dataset_id)
    if as_json:
        print_json(dataset.to_dict())
        return
    _print_dataset(dataset)


def _owner(d: Dataset) -> str:
    """The owner's username; the id only when the server sent no name (an account since deleted)."""
    if d.owner:
        return d.owner
    return f"user {d.owner_id} (no longer exists)" if d.owner_id is not None else "-"


def _bounds(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "any"
    return f"{low or 1}..{high if high is not None else ''}"


def _print_dataset(d: Dataset) -> None:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("id", str(d.id)),
        ("name", d.name),
        ("description", d.description or "-"),
        ("labels", ", ".join(d.labels) or "-"),
        ("owner", _owner(d)),
        ("address", d.address),
        ("chain", f"id {d.chain_id}, index {d.chain_index}, block {d.created_block}"),
        ("max bytes", f"{d.max_bytes:,}"),
        ("width", _bounds(d.min_width, d.max_width)),
        ("height", _bounds(d.min_height, d.max_height)),
        ("license", d.license or "not stated"),
        ("cite as", d.cite_as or "not stated"),
        ("created", d.created_at.isoformat(timespec="seconds")),
    ]
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)

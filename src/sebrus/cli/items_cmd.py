"""``sebrus items``: a dataset's contributed items, as the platform indexed them from the chain."""

from __future__ import annotations

from enum import StrEnum
from itertools import islice
from typing import Annotated

import typer
from rich.table import Table

from sebrus.cli.output import console, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect

items_app = typer.Typer(help="Browse a dataset's items.", no_args_is_help=True)


class ItemState(StrEnum):
    """The states an item moves through; a choice here, so that a typo is a usage error (exit 2)
    rather than a server refusal (exit 1)."""

    PENDING = "pending"
    QUARANTINED = "quarantined"
    APPROVED = "approved"
    REJECTED = "rejected"


@items_app.command("list")
def list_items(
    dataset: Annotated[int, typer.Option("--dataset", "-d", help="The dataset's id.")],
    status: Annotated[
        ItemState | None,
        typer.Option(case_sensitive=False, help="Only items in this state."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Only items with this label.")] = None,
    contributor: Annotated[str | None, typer.Option(help="Only this wallet address's items.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List items in upload order (every page, unless --limit)."""
    with connect(url, token, login_required=False) as client:
        found = list(
            islice(
                client.items(
                    dataset, status=status.value if status else None, contributor=contributor, label=label
                ),
                limit,
            )
        )
    if as_json:
        print_json([i.to_dict() for i in found])
        return
    if not found:
        console.print(f"No items in dataset {dataset} match.")
        return
    table = Table("sha256", "label", "status", "contributor", "block", "size")
    for i in found:
        table.add_row(
            i.content_hash[:16],
            i.label,
            i.status,
            i.contributor or "hidden until decided",
            str(i.block_number if i.block_number is not None else "-"),
            f"{i.width}x{i.height}" if i.width is not None else "-",
        )
    console.print(table)
    console.print(f"{len(found)} item(s)")

"""The ``sebrus`` command line: one Typer app with a sub-app per concern."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sebrus",
    help="SeBRUS: crowdsourced image datasets anchored on Ethereum and screened for poison.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def main() -> None:
    app()

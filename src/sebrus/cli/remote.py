"""What every client command shares: ``--url``, ``--token``, ``--json``, and turning API errors into exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from sebrus.cli.credentials import CredentialsError, load_login
from sebrus.cli.output import EXIT_USAGE, fail
from sebrus.sdk import (
    DEFAULT_URL,
    AmbiguousItem,
    Client,
    MalformedItemRef,
    SebrusConnectionError,
    SebrusError,
    Unauthorized,
)

UrlOption = Annotated[
    str, typer.Option("--url", envvar="SEBRUS_URL", help="The SeBRUS server.", show_default=True)
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SEBRUS_TOKEN",
        help="API token; defaults to the one `sebrus user login --save` saved for this URL.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

LOGIN_HINT = "Log in with `sebrus user login USERNAME --save`, or pass --token / set SEBRUS_TOKEN."


@contextmanager
def api_errors(login_hint: bool = True) -> Iterator[None]:
    """Exit 1 with the server's own message (or a clear one when there is no server at all).

    An item named by something that is not a hash, or by a prefix several items share, is the
    command line's fault: exit 2 with the candidates, so the user types more of the hash.
    """
    try:
        yield
    except (MalformedItemRef, AmbiguousItem) as exc:
        fail(str(exc), EXIT_USAGE)
    except SebrusConnectionError as exc:
        fail(f"{exc.message}. Is `sebrus serve` running there? Pass --url or set SEBRUS_URL.")
    except Unauthorized as exc:
        fail(f"{exc.message} {LOGIN_HINT}" if login_hint else str(exc))
    except SebrusError as exc:
        fail(str(exc))


@contextmanager
def connect(
    url: str, token: str | None, *, login_required: bool, login_hint: bool = True
) -> Iterator[Client]:
    """A client for ``url`` with the explicit token, else the saved one; errors inside become exits.

    ``login_hint`` adds how to log in to a 401; off where the command is itself the login.
    """
    if token is None:
        try:
            saved = load_login(url)
        except CredentialsError as exc:
            fail(str(exc))
        token = saved.token if saved is not None else None
    if login_required and not token:
        fail(f"Not logged in to {url}. {LOGIN_HINT}", EXIT_USAGE)
    try:
        client = Client(url, token=token)
    except ValueError as exc:
        fail(f"--url: {exc}", EXIT_USAGE)
    with client, api_errors(login_hint):
        yield client


__all__ = ["DEFAULT_URL", "JsonOption", "TokenOption", "UrlOption", "api_errors", "connect"]

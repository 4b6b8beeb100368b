"""``sebrus user``: create an account, log in (optionally saving the token), and check who you are."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sebrus.cli.credentials import CredentialsError, SavedLogin, forget_login, save_login
from sebrus.cli.output import EXIT_USAGE, console, fail, print_json
from sebrus.cli.remote import DEFAULT_URL, JsonOption, TokenOption, UrlOption, connect
from sebrus.sdk.client import default_token_name

user_app = typer.Typer(help="Register, log in and check which account you use.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin (for scripts)."),
]


def _password(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: no password on standard input.", EXIT_USAGE)
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return value


@user_app.command("register")
def register(
    username: Annotated[str, typer.Argument(help="The account name to create.")],
    password_stdin: PasswordStdin = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Create an account (the server gives it a funded custodial wallet); then `sebrus user login`."""
    password = _password(password_stdin, confirm=True)
    with connect(url, None, login_required=False, login_hint=False) as client:
        user = client.register(username, password)
    if as_json:
        print_json({"url": client.url, "user": user.to_dict()})
        return
    console.print(f"Created user [bold]{user.username}[/] (id {user.id}) on {client.url}.")
    console.print(f"Next: sebrus user login {user.username} --save")


@user_app.command("login")
def login(
    username: Annotated[str, typer.Argument(help="Your account name.")],
    save: Annotated[
        bool, typer.Option("--save", help="Keep the token in ~/.config/sebrus/credentials.json (0600).")
    ] = False,
    password_stdin: PasswordStdin = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Mint an API token with your password: print it, or save it for later commands with --save."""
    password = _password(password_stdin, confirm=False)
    with connect(url, None, login_required=False, login_hint=False) as client:
        token = client.login(username, password, token_name=default_token_name("sebrus CLI"))
    if not save:
        if as_json:
            print_json({"url": client.url, "username": username, "token": token})
        else:
            # The bare token on stdout, so that `export SEBRUS_TOKEN=$(sebrus user login ...)` works.
            sys.stdout.write(token + "\n")
        return
    try:
        path = save_login(client.url, SavedLogin(username=username, token=token))
    except (CredentialsError, OSError) as exc:
        fail(f"Logged in, but could not save the token: {exc}")
    if as_json:
        print_json({"url": client.url, "username": username, "saved_to": str(path)})
        return
    console.print(f"Logged in as [bold]{username}[/] on {client.url}; token saved to {path}.")


@user_app.command("whoami")
def whoami(url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False) -> None:
    """Show the account that your token belongs to."""
    with connect(url, token, login_required=True) as client:
        user = client.me()
    if as_json:
        print_json({"url": client.url, "user": user.to_dict()})
        return
    console.print(f"{user.username} (user id {user.id}) on {client.url}")


@user_app.command("logout")
def logout(url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False) -> None:
    """Revoke the token on the server and forget the saved one."""
    with connect(url, token, login_required=True) as client:
        client.logout()
    try:
        forgotten = forget_login(client.url)
    except (CredentialsError, OSError) as exc:
        fail(f"Logged out, but could not update the saved credentials: {exc}")
    if as_json:
        print_json({"url": client.url, "logged_out": True, "forgot_saved_token": forgotten})
        return
    console.print(f"Logged out of {client.url}." + (" Saved token removed." if forgotten else ""))

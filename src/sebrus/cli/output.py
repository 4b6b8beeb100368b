"""Shared output helpers for commands: rich for people, ``--json`` for scripts, meaningful exits."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)

EXIT_FAILURE = 1  # the command ran and the work failed (a refused input, an unreachable chain)
EXIT_USAGE = 2  # the command line itself was wrong (Click's own convention)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=_default) + "\n")


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _default(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if hasattr(value, "__dict__"):
        return value.__dict__
    return str(value)

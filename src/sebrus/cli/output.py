"""Shared output helpers for commands: rich for people, ``--json`` for scripts, meaningful exits."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions

#: Columns a pipe or a file gets: wide enough that no line or table of ours is ever wrapped there.
PIPE_WIDTH = 10_000


class PipeFriendlyConsole(Console):
    """A terminal gets rich's usual width; a pipe or a file gets whole lines.

    Rich sizes its output from whatever terminal it finds, stdin's included, or 80 columns, so
    ``sebrus review queue | grep`` got 64-character hashes cut short and sentences broken at 80
    columns: what scripts and people copy from was not what the server said. Decided at each print,
    because the same process may write to a terminal and to a pipe (and tests swap the streams).
    """

    @property
    def size(self) -> ConsoleDimensions:
        measured = super().size
        if self.is_terminal:
            return measured
        return ConsoleDimensions(PIPE_WIDTH, measured.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = PipeFriendlyConsole()
errors = PipeFriendlyConsole(stderr=True)

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

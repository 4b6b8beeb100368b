"""Running the ``sebrus`` command line in-process, the way the CLI tests do."""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import CliRunner, Result

from sebrus.cli import app

Invoke = Callable[..., Result]


def sebrus(*args: str, input: str | None = None) -> Result:
    """``sebrus ARGS`` with ``input`` on stdin; exceptions propagate so a test shows the traceback."""
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)

"""The crash-point helper: inert unless named, exact about which point and which hit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sebrus.faults import maybe_crash

SCRIPT = """
from sebrus.faults import maybe_crash
for n in range(1, 4):
    maybe_crash("after-outbox-commit")
    maybe_crash("after-chain-send")
    print(n, flush=True)
"""


def run(fault: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEBRUS_FAULT"}
    if fault is not None:
        env["SEBRUS_FAULT"] = fault
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("fault", "returncode", "printed"),
    [
        (None, 0, ["1", "2", "3"]),
        ("after-blob-put", 0, ["1", "2", "3"]),  # a point this script never reaches
        ("after-chain-send", -9, []),
        ("after-chain-send@3", -9, ["1", "2"]),
    ],
)
def test_the_process_dies_by_sigkill_exactly_where_asked(
    fault: str | None, returncode: int, printed: list[str]
) -> None:
    done = run(fault)
    assert (done.returncode, done.stdout.split()) == (returncode, printed), done.stderr


def test_an_unknown_point_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown fault point"):
        maybe_crash("after-lunch")

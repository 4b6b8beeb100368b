"""CI's small run of benchmarks/review_bulk_votes.py: three votes in one --from-file run, one single."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_review_bulk_votes_benchmark_smoke_run() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/review_bulk_votes.py"), "--votes", "3", "--singles", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "3 votes settled in " in completed.stdout, completed.stdout
    assert re.search(r"bulk: 3 votes in [\d.]+ s wall", completed.stdout), completed.stdout
    assert re.search(r"one by one: 1 single votes in [\d.]+ s wall", completed.stdout), completed.stdout

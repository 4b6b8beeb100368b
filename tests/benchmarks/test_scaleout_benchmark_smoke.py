"""CI's small run of benchmarks/scaleout.py: both shapes on PostgreSQL, anvil and S3, and a clean report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_scaleout_benchmark_smoke_run(tmp_path: Path, postgres_url: str) -> None:
    out = tmp_path / "scaleout.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/scaleout.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["lost"] == report["duplicated"] == 0
    assert report["reverted_transactions"] == report["nonce_errors"] == 0
    assert report["images_per_second"] > 0 and report["one_process_images_per_second"] > 0
    for shape in ("scaled_out", "one_process"):
        assert report[shape]["acknowledged"] == 60 and report[shape]["audit_ok"] == 1
    assert "images/s vs one process" in completed.stdout

"""CI's small run of benchmarks/reads.py: a real server, real load, and a report of the right shape."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READS = {"datasets", "items", "image", "dashboard"}
LEVELS = {"1", "10", "50"}


def _assert_figures(name: str, figures: dict[str, Any]) -> None:
    assert set(figures["by_clients"]) == LEVELS, name
    for key in ("requests_per_second", "p99_ms", "server_cpu_ms_per_request"):
        value = figures[key]
        assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (name, key, value)
    for clients, level in figures["by_clients"].items():
        for key in ("requests_per_second", "p50_ms", "p99_ms", "requests", "server_cpu_ms_per_request"):
            value = level[key]
            assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (name, clients, key)
        assert level["p50_ms"] <= level["p99_ms"], (name, clients)


def test_reads_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "reads.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/reads.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "requests/s" in completed.stdout and "baseline: empty ASGI app" in completed.stdout
    report = json.loads(out.read_text())
    assert report["config"]["load_generator"] in {"wrk", "httpx"}
    # image_304 appears once the image answer carries an ETag; the four reads are always there.
    assert READS <= set(report["endpoints"]) <= READS | {"image_304"}
    for name, figures in report["endpoints"].items():
        _assert_figures(name, figures)
        assert report["ratio_vs_baseline"][name] > 0
    _assert_figures("baseline", report["baseline"])
    assert set(report["summary"]["meets_target"]) == {"datasets", "image"}


def test_the_httpx_load_generator_measures_the_same_shape(tmp_path: Path) -> None:
    """The fallback when wrk is not installed, run against the empty app only (it needs no seeding)."""
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/reads.py"),
            "--baseline-only",
            "--generator",
            "httpx",
            "--seconds",
            "0.5",
            "--out",
            str(tmp_path / "baseline.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads((tmp_path / "baseline.json").read_text())
    assert report["config"]["load_generator"] == "httpx"
    _assert_figures("baseline", report["baseline"])

"""CI's small run of benchmarks/ingest.py: a real server, real uploads, and a report of the right shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ingest_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/ingest.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "images/s" in completed.stdout and "baseline" in completed.stdout
    report = json.loads(out.read_text())
    assert set(report["modes"]) == {"single", "batched"}
    for name, mode in report["modes"].items():
        # Every upload was answered 201 (anchored and indexed) and the index holds them all.
        assert mode["statuses"] == {"201": mode["images"]}, (name, mode["statuses"])
        assert mode["indexed"] == mode["images"] == report["config"]["images_per_mode"]
        assert mode["images_per_s"] > 0
        latency = mode["latency_ms"]
        assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    baseline = report["baseline"]
    assert baseline["one_tx_per_image_images_per_s"] > 0
    assert baseline["chain_only_submitBatchFor_images_per_s"] > 0
    assert set(report["ratio_vs_baseline"]) == {"single", "batched"}
    assert report["config"]["server_env"]["SEBRUS_UPLOAD_RATE_PER_MINUTE"] == "0"

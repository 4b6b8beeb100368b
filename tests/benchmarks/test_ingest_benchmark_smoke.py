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
    assert "images/s" in completed.stdout and "paper flow" in completed.stdout
    report = json.loads(out.read_text())
    for name in ("single", "in_flight"):
        mode = report[name]
        # Every upload was answered 201 (anchored and indexed) and the index holds them all.
        assert mode["statuses"] == {"201": mode["images"]}, (name, mode["statuses"])
        assert mode["indexed"] == mode["images"] == report["config"]["images_per_mode"]
        assert mode["images_per_second"] > 0
        latency = mode["latency_ms"]
        assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    bulk = report["bulk"]
    assert bulk["statuses"] == {"200": bulk["requests"]} and bulk["requests"] == 4  # 40 images, 10 a request
    assert bulk["indexed"] == bulk["images"] == 40
    assert bulk["images_per_second"] >= bulk["anchored_images_per_second"] > 0
    assert report["paper_flow"]["images_per_second"] > 0 and report["chain_alone"]["images_per_second"] > 0
    assert set(report["ratio_vs_paper_flow"]) == {"single", "in_flight", "bulk"}
    assert report["config"]["server_env"]["SEBRUS_UPLOAD_RATE_PER_MINUTE"] == "0"

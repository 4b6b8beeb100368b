"""CI's small run of benchmarks/review_gas.py (2 images): it runs and reports both paths at x = 1, 3, 5."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_review_gas_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "review_gas.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/review_gas.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "target at x = 1" in completed.stdout
    report = json.loads(out.read_text())
    batched, baseline = report["gas_per_accepted_image"], report["baseline"]
    assert set(batched) == set(baseline) == {"x1", "x3", "x5"}
    # Gas is deterministic: even at two images (bonds spread over few) batching beats a tx per vote,
    # and more votes per image cost more on both paths.
    for key in batched:
        assert 0 < batched[key] < baseline[key]
    assert batched["x1"] < batched["x3"] < batched["x5"] and baseline["x1"] < baseline["x3"] < baseline["x5"]
    phases = report["detail"]["batched"]["x3"]["by_phase_per_image"]
    assert set(phases) == {"anchor", "bonds", "votes", "claims"}

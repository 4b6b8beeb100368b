"""CI's small run of benchmarks/detection.py: real figures at the default operating point, beating ART.

One cell for each new piece: BadNets (trigger-position p-values, class signal), SIG (class signal),
random flips (cross-fitted label checks and the contributor test) and a clean control (the operating
point must flag at most 1% and no honest contributor).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_detection_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "detection.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/detection.py"), "--smoke", "--jobs", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "ART F1" in completed.stdout and "Targets:" in completed.stdout
    report = json.loads(out.read_text())
    cells = {c["attack"]: c for c in report["cells"]}
    assert set(cells) == {"badnets_white3_10pct", "sig", "random_flip", "clean"}
    for cell in cells.values():
        for method in ("ensemble", "art_defaults"):
            m = cell[method]
            assert 0.0 <= m["precision"] <= 1.0 and 0.0 <= m["recall"] <= 1.0 and 0.0 <= m["f1"] <= 1.0
            assert m["seconds"] > 0 and 0.0 <= m["clean_accuracy"] <= 1.0
        new_detectors = {"label_issues", "trusted_label_issues", "class_signal", "patch_trigger"}
        assert new_detectors <= set(cell["detectors"])
        expected = cell["ensemble"]["expected_precision"]
        assert expected is None or 0.0 <= expected <= 1.0
    badnets = cells["badnets_white3_10pct"]
    assert badnets["ensemble"]["f1"] >= max(0.9, badnets["art_defaults"]["f1"] + 0.3)
    assert badnets["ensemble"]["asr"] is not None and badnets["no_defence"]["asr"] is not None
    assert badnets["contributors"]["recall"] == 1.0 and badnets["contributors"]["n_honest_flagged"] == 0
    assert cells["random_flip"]["ensemble"]["f1"] >= 0.8
    clean = cells["clean"]
    assert clean["ensemble"]["flagged_share"] <= 0.01 and clean["contributors"]["n_flagged"] == 0
    assert clean["art_defaults"]["flagged_share"] > 0.1  # ART's defaults flag a large share of clean data
    rows = {r["attack"]: r for r in report["summary"]}
    assert rows["random_flip"]["asr_after_cleaning"] is None  # random flips have no attacker-chosen outcome
    assert any(line.startswith(("PASS", "MISS")) for line in report["targets"])

"""CI's small run of benchmarks/efficacy.py: the whole product on a real server; the report's shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = {"release (SeBRUS)", "all raw contributions", "clean contributions only"}


def test_efficacy_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "efficacy.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/efficacy.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "clean acc" in completed.stdout and "gas per accepted image" in completed.stdout
    report = json.loads(out.read_text())
    (run,) = report["runs"]
    assert run["attack"] == "backdoor" and set(run["models"]) == MODELS
    d = run["detection"]
    assert d["contributions"] == report["config"]["contrib_per_class"] * 10
    assert d["poisoned"] == round(report["config"]["rate"] * d["contributions"])
    assert d["votes"]["approve"] + d["votes"]["reject"] == d["contributions"]  # every item was reviewed
    assert d["poison_flagged"] + d["clean_flagged"] == d["flagged_by_scan"]
    # The release holds what review approved, and the pipeline kept most of the poison out.
    assert d["released"] == run["models"]["release (SeBRUS)"]["items"] == d["votes"]["approve"]
    assert d["poison_released"] < d["poisoned"] / 2, (d, completed.stdout[-2000:])
    raw, clean = run["models"]["all raw contributions"], run["models"]["clean contributions only"]
    assert raw["items"] == d["contributions"] and clean["items"] == d["contributions"] - d["poisoned"]
    for score in run["models"].values():
        assert 0.0 <= score["clean_accuracy"] <= 1.0 and 0.0 <= score["asr"] <= 1.0
    gas = run["gas"]
    assert gas["accepted_images"] == d["released"] and gas["total"] == sum(gas["by_phase"].values())
    assert all(v > 0 for v in gas["by_phase"].values()) and gas["per_accepted_image"] > 0
    assert set(run["targets"]) == {"asr_at_most", "accuracy_gap_at_most", "asr_met", "accuracy_met"}

"""CI's small run of benchmarks/review_attacks.py: the attacks run on the real contracts and print a table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_review_attacks_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "attacks.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/review_attacks.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "poisoned passed" in completed.stdout
    rows = json.loads(out.read_text())
    assert {r["attack"].split(" ")[0] for r in rows} == {"collusion", "lazy", "sybil"}
    assert {r["x"] for r in rows} == {1, 3}
    for row in rows:
        assert 0 <= row["poisoned_passed"] <= row["poisoned_total"]
        # stakes only move between the two sides (dust to the pool); rewards are the only new money
        assert row["attacker_net_eth"] + row["honest_net_eth"] >= 0
    # three colluders who vote first reach any x <= 3 before an honest reviewer votes
    collusion = [r for r in rows if r["attack"].startswith("collusion")]
    assert all(r["poisoned_passed"] == r["poisoned_total"] for r in collusion)

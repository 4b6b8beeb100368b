"""CI's small run of benchmarks/review_attacks.py: the attacks run on the real contracts, on both voting
paths (per-vote transactions, and signed ballots settled in batches from bonds), and print a table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_review_attacks_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "attacks.json"
    script = str(ROOT / "benchmarks/review_attacks.py")
    completed = subprocess.run(
        [sys.executable, script, "--smoke", "--batch", "7", "--out", str(out)],
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
    assert {r["path"] for r in rows} == {"per-vote", "batched"}
    for row in rows:
        assert 0 <= row["poisoned_passed"] <= row["poisoned_total"]
        # stakes only move between the two sides (dust to the pool); rewards are the only new money
        assert row["attacker_net_eth"] + row["honest_net_eth"] >= 0
        assert len(row["approved"]) == 2
    # three colluders who vote first reach any x <= 3 before an honest reviewer votes
    collusion = [r for r in rows if r["attack"].startswith("collusion")]
    assert all(r["poisoned_passed"] == r["poisoned_total"] for r in collusion)
    # The same plan on both paths: a ballot counts exactly as the voter's own vote would, so the same
    # items pass, the same votes count and the money per side is the same (bond withdrawn minus
    # bond deposited against claims minus stakes); the ballots that arrive after the decision are
    # skipped, where per-vote they are never sent.
    per_vote = {(r["attack"], r["x"], r["stake_eth"]): r for r in rows if r["path"] == "per-vote"}
    batched = [r for r in rows if r["path"] == "batched"]
    assert len(batched) == len(per_vote) == 6
    for row in batched:
        base = per_vote[(row["attack"], row["x"], row["stake_eth"])]
        for key in ("approved", "poisoned_passed", "votes_counted", "attacker_net_wei", "honest_net_wei"):
            assert row[key] == base[key], (key, row, base)
        assert row["ballots_skipped"] > 0 and base["ballots_skipped"] == 0
    assert "6 of 6 settings identical" in completed.stdout


def test_review_attacks_refuses_a_bad_batch_size() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/review_attacks.py"), "--batch", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode != 0
    assert "--batch must be 1 to 256" in completed.stderr

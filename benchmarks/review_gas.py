"""Gas per accepted image, end to end, for review by signed ballots (batched) beside today's per-vote path.

"End to end" is everything the chain does for an image that ends up accepted: anchoring it
(``Dataset.submitBatch``, 100 a transaction on both paths), the votes that reach x, the claims that
pay the voters, the contributor's deposit when the policy asks one, and each voter's bond deposit and
withdrawal (once per voter, spread over the images). The one-off creation of the dataset and its
review clone is left out of both. Every image gets x approving votes from x distinct voters.

- baseline: today's path, one ``vote`` transaction per vote carrying its stake, one ``claim``
  transaction per winning ballot, one ``deposit`` (and ``claimDeposit``) per image;
- batched: signed ballots relayed by ``settleBallots`` (up to ``--ballots-per-tx`` a transaction),
  stakes drawn from bonds, the deciding ballot paid at once, the other winners credited by
  ``claimBatch``, deposits paid by ``depositBatch``.

Both run on the same embedded py-evm chain in the same process, through the ``sebrus.chain`` adapters
the server uses. Gas is deterministic, so the figures hold on any machine.

    .venv/bin/python benchmarks/review_gas.py --out review_gas.json            # 100 images, ~2 minutes
    .venv/bin/python benchmarks/review_gas.py --smoke --out review_gas.json    # CI's few-second version
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from sebrus.chain.backends import ChainHandle, open_chain
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_ballots import (
    Ballot,
    ClaimRef,
    bond_of,
    claim_batch,
    deposit_batch,
    deposit_bond,
    settle_ballots,
    sign_ballot,
    withdraw_bond,
)
from sebrus.chain.review_types import ReviewTerms
from sebrus.chain.types import Submission
from sebrus.config import Settings

TARGET_X1 = 60_000
QUORUMS = (1, 3, 5)
STAKE = 10**15
REWARD = 10**13
DEPOSIT = 10**14
FUNDING = 10**19


class Run:
    """One dataset with its review on the shared chain, and the gas its phases used."""

    def __init__(self, handle: ChainHandle, reviews: ReviewLedger, tag: str, terms: ReviewTerms) -> None:
        self.handle, self.reviews = handle, reviews
        self.ledger = handle.ledger
        self.owner = self._funded()
        self.contributor = self._funded()
        info = self.ledger.create_dataset(
            self.owner, name=f"bench {tag}", description="review gas", labels=("a", "b"), detector=None
        )
        self.dataset = info.address
        reviews.create_review(self.owner, self.dataset, terms)
        reviews.fund_pool(self.owner, self.dataset, 10**18)
        self.gas: dict[str, int] = defaultdict(int)
        self.txs: dict[str, int] = defaultdict(int)

    def _funded(self) -> LocalAccount:
        account: LocalAccount = Account.create()
        self.ledger.transfer(self.handle.operators.deployer, account.address, FUNDING)
        return account

    def voters(self, count: int) -> list[LocalAccount]:
        return [self._funded() for _ in range(count)]

    def add(self, phase: str, gas_used: int) -> None:
        self.gas[phase] += gas_used
        self.txs[phase] += 1

    def anchor(self, hashes: Sequence[bytes], per_tx: int = 100) -> None:
        for start in range(0, len(hashes), per_tx):
            chunk = [Submission(h, 0) for h in hashes[start : start + per_tx]]
            self.add("anchor", self.ledger.submit_batch(self.contributor, self.dataset, chunk).gas_used)


def _hashes(tag: str, count: int) -> list[bytes]:
    return [hashlib.sha256(f"{tag} image {i}".encode()).digest() for i in range(count)]


def baseline(handle: ChainHandle, reviews: ReviewLedger, x: int, images: int, deposit: bool) -> Run:
    """Today's path: a transaction per vote, per claim and per deposit."""
    terms = ReviewTerms(x, STAKE, REWARD, open_voting=True, deposit_wei=DEPOSIT if deposit else 0)
    run = Run(handle, reviews, f"baseline x{x} {deposit}", terms)
    hashes = _hashes(f"baseline {x} {deposit}", images)
    run.anchor(hashes)
    voters = run.voters(x)
    for h in hashes:
        if deposit:
            run.add("deposit", reviews.deposit(run.contributor, run.dataset, h).gas_used)
        for voter in voters:
            run.add("votes", reviews.vote(voter, run.dataset, h, True).gas_used)
        for voter in voters:
            run.add("claims", reviews.claim(voter, run.dataset, h, 0).tx.gas_used)
        if deposit:
            run.add("deposit", reviews.claim_deposit(run.contributor, run.dataset, h).gas_used)
    return run


def batched(
    handle: ChainHandle,
    reviews: ReviewLedger,
    x: int,
    images: int,
    deposit: bool,
    per_tx: int,
    groups: int = 1,
) -> Run:
    """Signed ballots relayed in batches, bonds, batch claims and deposits. With ``groups`` > 1 the
    images are shared out among that many groups of x voters (more voters, fewer ballots each)."""
    terms = ReviewTerms(x, STAKE, REWARD, open_voting=True, deposit_wei=DEPOSIT if deposit else 0)
    run = Run(handle, reviews, f"batched x{x} {deposit}", terms)
    hashes = _hashes(f"batched {x} {deposit}", images)
    run.anchor(hashes)
    if deposit:
        for start in range(0, len(hashes), 100):
            chunk = hashes[start : start + 100]
            run.add("deposit", deposit_batch(reviews, run.contributor, run.dataset, chunk).gas_used)
    voters = run.voters(x * groups)
    for voter in voters:
        run.add("bonds", deposit_bond(reviews, voter, run.dataset, STAKE * images).gas_used)
    review = reviews.require_review(run.dataset)
    chain_id = handle.ledger.transactor.chain_id
    deadline = int(handle.ledger.transactor.block()["timestamp"]) + 3600
    signed: list[tuple[Ballot, bytes]] = []
    for nonce, h in enumerate(hashes):
        group = nonce % groups
        for voter in voters[group * x : (group + 1) * x]:
            ballot = Ballot(voter.address, h, True, nonce, deadline)
            signed.append((ballot, sign_ballot(bytes(voter.key), chain_id, review, ballot)))
    relayer = handle.operators.deployer
    late: list[ClaimRef] = []
    for start in range(0, len(signed), per_tx):
        settlement = settle_ballots(reviews, relayer, run.dataset, signed[start : start + per_tx])
        if settlement.accepted != len(settlement.outcomes):
            refused = [o.sentence for o in settlement.outcomes if not o.accepted]
            raise SystemExit(f"the benchmark's own ballots were refused: {refused[:3]}")
        run.add("votes", settlement.gas_used)
        late += [
            ClaimRef(o.ballot.content_hash, 0, o.ballot.voter) for o in settlement.outcomes if not o.decided
        ]
    for start in range(0, len(late), 256):
        result, outcomes = claim_batch(reviews, relayer, run.dataset, late[start : start + 256])
        if any(o.reason for o in outcomes):
            raise SystemExit("the benchmark's own claims were refused")
        run.add("claims", result.gas_used)
    for voter in voters:
        held = bond_of(reviews, run.dataset, voter.address)
        run.add("bonds", withdraw_bond(reviews, voter, run.dataset, held).gas_used)
    if deposit:
        run.add("deposit", withdraw_bond(reviews, run.contributor, run.dataset, DEPOSIT * images).gas_used)
    return run


def summary(run: Run, images: int) -> dict[str, Any]:
    total = sum(run.gas.values())
    return {
        "per_accepted_image": round(total / images),
        "total_gas": total,
        "by_phase_per_image": {k: round(v / images) for k, v in sorted(run.gas.items())},
        "transactions": dict(sorted(run.txs.items())),
    }


def measure(images: int, per_tx: int, deposit: bool, casual: bool = False) -> dict[str, Any]:
    """Both paths at every x on one fresh chain; with ``casual``, x = 1 again with ten voters."""
    with tempfile.TemporaryDirectory(prefix="sebrus-review-gas-") as tmp:
        handle = open_chain(Settings(data_dir=Path(tmp)))
        handle.init()
        try:
            reviews = ReviewLedger(handle.ledger)
            reviews.deploy(handle.operators.deployer)
            out: dict[str, Any] = {"baseline": {}, "batched": {}}
            for x in QUORUMS:
                today = baseline(handle, reviews, x, images, deposit)
                out["baseline"][f"x{x}"] = summary(today, images)
                out["batched"][f"x{x}"] = summary(
                    batched(handle, reviews, x, images, deposit, per_tx), images
                )
            if casual:
                ten = batched(handle, reviews, 1, images, deposit, per_tx, groups=10)
                out["batched_x1_ten_voters"] = summary(ten, images)
            return out
        finally:
            handle.close()


def _headline(measured: dict[str, Any]) -> dict[str, Any]:
    return {
        "gas_per_accepted_image": {k: v["per_accepted_image"] for k, v in measured["batched"].items()},
        "baseline": {k: v["per_accepted_image"] for k, v in measured["baseline"].items()},
        "detail": measured,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    parser.add_argument("--images", type=int, default=100, help="accepted images per run (default 100)")
    parser.add_argument("--ballots-per-tx", type=int, default=200, help="ballots per settleBallots (max 256)")
    parser.add_argument("--smoke", action="store_true", help="CI's small run: 2 images, no deposit runs")
    args = parser.parse_args(argv)
    images = 2 if args.smoke else args.images
    if images <= 0 or not 0 < args.ballots_per_tx <= 256:
        parser.error("--images must be positive and --ballots-per-tx 1 to 256")
    started = time.perf_counter()
    plain = measure(images, args.ballots_per_tx, deposit=False, casual=not args.smoke)
    with_deposit = None if args.smoke else measure(images, args.ballots_per_tx, deposit=True)
    headline = _headline(plain)
    per_image = headline["gas_per_accepted_image"]
    report = {
        "gas_per_accepted_image": per_image,
        "baseline": headline["baseline"],
        "target_x1": TARGET_X1,
        "target_met": per_image["x1"] <= TARGET_X1,
        "config": {
            "images": images,
            "ballots_per_tx": args.ballots_per_tx,
            "anchor_per_tx": 100,
            "stake_wei": STAKE,
            "reward_wei": REWARD,
            "deposit_wei_in_deposit_runs": DEPOSIT,
            "smoke": args.smoke,
        },
        "detail": plain,
        "with_contributor_deposit": None if with_deposit is None else _headline(with_deposit),
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.write_text(json.dumps(report, indent=2))
    print(f"review gas per accepted image ({images} images, stake and reward, no contributor deposit)")
    for x in QUORUMS:
        key = f"x{x}"
        b, n = report["baseline"][key], per_image[key]
        print(f"  x = {x}: batched {n:>9,}   per-vote {b:>9,}   ({b / n:.1f}x less)")
        print(f"          batched by phase: {plain['batched'][key]['by_phase_per_image']}")
    if "batched_x1_ten_voters" in plain:
        ten = plain["batched_x1_ten_voters"]
        print(f"  x = 1 with ten voters sharing the images: batched {ten['per_accepted_image']:,}")
    dep = report["with_contributor_deposit"]
    if dep is not None:
        print("with a contributor deposit as well:")
        for x in QUORUMS:
            key = f"x{x}"
            batched_gas, per_vote_gas = dep["gas_per_accepted_image"][key], dep["baseline"][key]
            print(f"  x = {x}: batched {batched_gas:>9,}   per-vote {per_vote_gas:>9,}")
    verdict = "meets" if report["target_met"] else "misses"
    x1 = per_image["x1"]
    print(f"target at x = 1: <= {TARGET_X1:,} gas per accepted image; batched {x1:,} {verdict} it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

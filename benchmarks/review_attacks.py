"""Attacks on the review network, run on the real contracts: how many poisoned items pass, and at what price.

Three attacks, each at every setting of x (votes one side needs) and stake, in plain-vote mode, on an
in-memory chain through the same ReviewLedger the platform uses:

- collusion: a minority of the allow-listed reviewers coordinates to approve its accomplice's poisoned
  items, and votes first (they watch the queue); the honest rest arrive in random order;
- lazy: some allow-listed reviewers approve everything without looking, arriving in random order
  among honest ones (who judge correctly 90% of the time); half the items are poisoned;
- sybil: open voting, one attacker with many funded wallets approves the poisoned items; all voters
  arrive in random order.

Each setting is planned first (who votes, which way, in which order: the random draws), then replayed
on one or both paths (``--path``), each on its own fresh review:

- per-vote: every vote is its own ``vote`` transaction carrying its stake; a vote sent after the item
  is decided is refused (``AlreadyResolved``) and the rest of the queue stops; winners ``claim``;
- batched: every voter deposits a bond up front and signs an EIP-712 ballot for every item; a relayer
  settles the ballots in the same arrival order, ``--batch`` at a time (``settleBallots``); ballots
  that arrive after their item is decided are skipped (``NotOpen``) without drawing a stake; the
  deciding ballot is paid into its voter's bond at once, the other winners by ``claimBatch``; at the
  end every voter withdraws their whole bond.

"Attacker ETH" is what the attacking side got back minus what it staked (rewards and the losers'
slashed stakes included, gas excluded), summed over the attacker's wallets: on the per-vote path stakes
sent minus claims paid, on the batched path bond withdrawn minus bond deposited.

    .venv/bin/python benchmarks/review_attacks.py --items 8     # README's table, both paths
    .venv/bin/python benchmarks/review_attacks.py --smoke       # CI's small version
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import Wei

from sebrus.chain.errors import ContractReverted
from sebrus.chain.ledger import Ledger
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_ballots import (
    MAX_BALLOTS,
    Ballot,
    ClaimRef,
    SkipReason,
    bond_of,
    claim_batch,
    deposit_bond,
    settle_ballots,
    sign_ballot,
    withdraw_bond,
)
from sebrus.chain.review_types import ReviewTerms

ETHER = 10**18
REWARD = ETHER // 2000
HONEST_ACCURACY = 0.9
PATHS = ("per-vote", "batched")


@dataclass(frozen=True)
class Row:
    attack: str
    x: int
    stake_eth: float
    attackers: str
    poisoned_passed: int
    poisoned_total: int
    attacker_net_eth: float
    honest_net_eth: float
    path: str = "per-vote"
    approved: list[bool] = field(default_factory=list)  # each item's outcome, in arrival order
    votes_counted: int = 0  # votes (or ballots) counted; an x = 1 ballot decided at once draws no stake
    ballots_skipped: int = 0  # batched: ballots that arrived after their item was decided
    attacker_net_wei: int = 0  # the nets exactly, for comparing the paths to the wei
    honest_net_wei: int = 0


class World:
    """One in-memory chain with the platform's contracts and a supply of funded wallets."""

    def __init__(self) -> None:
        w3 = Web3(Web3.EthereumTesterProvider())
        w3.eth.default_account = w3.eth.accounts[0]  # reads are calls: eth-tester wants a funded sender
        self.w3 = w3
        self.ledger = Ledger(w3)
        self.bank = w3.eth.accounts[0]
        self.deployer = self.wallet()
        self.ledger.deploy(self.deployer)
        self.review = ReviewLedger(self.ledger)
        self.review.deploy(self.deployer)
        self.relayer = self.wallet()
        self._datasets = 0

    def wallet(self) -> LocalAccount:
        account: LocalAccount = Account.create()
        self.w3.eth.send_transaction(
            {"from": self.bank, "to": account.address, "value": Wei(100 * ETHER), "gas": 21_000}
        )
        return account

    def dataset(self, owner: LocalAccount, terms: ReviewTerms, pool_wei: int) -> str:
        self._datasets += 1
        info = self.ledger.create_dataset(
            owner, name=f"attack {self._datasets}", description="", labels=("ok",)
        )
        self.review.create_review(owner, info.address, terms)
        self.review.fund_pool(owner, info.address, pool_wei)
        return info.address


@dataclass(frozen=True)
class Vote:
    account: LocalAccount
    approve: bool
    attacker: bool


@dataclass(frozen=True)
class Item:
    label: str  # hashed into the item's content hash
    poisoned: bool
    votes: tuple[Vote, ...]  # arrival order


@dataclass(frozen=True)
class Plan:
    """One attack at one setting, drawn before any transaction so both paths replay the same votes."""

    attack: str
    attackers: str
    x: int
    stake: int
    terms: ReviewTerms
    allow: tuple[LocalAccount, ...]  # allow-listed voters (none in open mode)
    contributor: LocalAccount
    items: tuple[Item, ...]

    def row(self, path: str, approved: list[bool], book: Ledgerbook, counted: int, skipped: int) -> Row:
        passed = sum(a and item.poisoned for a, item in zip(approved, self.items, strict=True))
        poisoned = sum(item.poisoned for item in self.items)
        return Row(self.attack, self.x, self.stake / ETHER, self.attackers, passed, poisoned,
                   book.attacker / ETHER, book.honest / ETHER, path, approved, counted, skipped,
                   book.attacker, book.honest)  # fmt: skip


@dataclass
class Ledgerbook:
    """Protocol money in and out per side: stakes (or bonds) paid in, claims (or withdrawals) paid out."""

    attacker: int = 0
    honest: int = 0

    def add(self, attacker: bool, wei: int) -> None:
        if attacker:
            self.attacker += wei
        else:
            self.honest += wei


def honest_vote(rng: random.Random, poisoned: bool) -> bool:
    correct = not poisoned
    return correct if rng.random() < HONEST_ACCURACY else not correct


# ---------------------------------------------------------------------- plans (all the random draws)


def plan_collusion(world: World, x: int, stake: int, items: int, rng: random.Random) -> Plan:
    accomplice = world.wallet()
    reviewers = [world.wallet() for _ in range(10)]
    colluders = reviewers[:3]
    planned = []
    for i in range(items):
        honest = [r for r in reviewers if r not in colluders]
        rng.shuffle(honest)
        honest_votes = [Vote(h, honest_vote(rng, True), False) for h in honest]
        order = tuple(Vote(c, True, True) for c in colluders) + tuple(honest_votes)
        planned.append(Item(f"collusion {x} {stake} {i}", True, order))
    terms = ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD)
    return Plan("collusion (3 of 10 vote first)", "3 colluders", x, stake, terms, tuple(reviewers),
                accomplice, tuple(planned))  # fmt: skip


def plan_lazy(world: World, x: int, stake: int, items: int, rng: random.Random) -> Plan:
    contributor = world.wallet()
    reviewers = [world.wallet() for _ in range(10)]
    lazy = set(r.address for r in reviewers[:5])
    planned = []
    for i in range(items):
        poisoned = i % 2 == 0
        order = list(reviewers)
        rng.shuffle(order)
        votes = tuple(
            Vote(r, True, True) if r.address in lazy else Vote(r, honest_vote(rng, poisoned), False)
            for r in order
        )
        planned.append(Item(f"lazy {x} {stake} {i}", poisoned, votes))
    terms = ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD)
    return Plan("lazy (5 of 10 always approve)", "5 lazy", x, stake, terms, tuple(reviewers), contributor,
                tuple(planned))  # fmt: skip


def plan_sybil(world: World, x: int, stake: int, items: int, rng: random.Random, sybils: int) -> Plan:
    contributor = world.wallet()
    honest = [world.wallet() for _ in range(5)]
    wallets = [world.wallet() for _ in range(sybils)]
    planned = []
    for i in range(items):
        votes = [Vote(w, True, True) for w in wallets]
        votes += [Vote(h, honest_vote(rng, True), False) for h in honest]
        rng.shuffle(votes)
        planned.append(Item(f"sybil {x} {stake} {i}", True, tuple(votes)))
    terms = ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD, open_voting=True)
    return Plan(f"sybil flood (open, {sybils} wallets vs 5)", f"{sybils} sybils", x, stake, terms, (),
                contributor, tuple(planned))  # fmt: skip


# ---------------------------------------------------------------------- the two paths


def open_review(world: World, plan: Plan, path: str) -> tuple[str, list[bytes]]:
    """A fresh dataset and review for one path, its voters allowed and its items anchored."""
    owner = world.wallet()
    dataset = world.dataset(owner, plan.terms, 4 * REWARD * plan.x * len(plan.items))
    for reviewer in plan.allow:
        world.review.allow_voter(owner, dataset, reviewer.address)
    hashes = [hashlib.sha256(f"{path} {item.label}".encode()).digest() for item in plan.items]
    return dataset, hashes


def run_per_vote(world: World, plan: Plan) -> Row:
    """Each vote its own transaction, in arrival order, until the item resolves; winners claim."""
    dataset, hashes = open_review(world, plan, "per-vote")
    book, approved, counted = Ledgerbook(), [], 0
    for item, content_hash in zip(plan.items, hashes, strict=True):
        world.ledger.submit(plan.contributor, dataset, content_hash, 0)
        cast: list[Vote] = []
        for v in item.votes:
            try:
                world.review.vote(v.account, dataset, content_hash, v.approve)
            except ContractReverted as refused:
                if refused.error == "AlreadyResolved":
                    break
                raise
            cast.append(v)
            book.add(v.attacker, -plan.stake)
        counted += len(cast)
        outcome = world.review.item_review(dataset, content_hash).outcome.name
        approved.append(outcome == "APPROVED")
        for v in cast:
            if v.approve == approved[-1]:
                book.add(v.attacker, world.review.claim(v.account, dataset, content_hash, 0).amount_wei)
    return plan.row("per-vote", approved, book, counted, 0)


def run_batched(world: World, plan: Plan, batch: int) -> Row:
    """Bonds up front; every voter signs a ballot per item; the relayer settles them in arrival order,
    ``batch`` per transaction; the non-deciding winners are credited by ``claimBatch``; everyone
    withdraws their whole bond at the end. Net ETH is withdrawn minus deposited, per side."""
    dataset, hashes = open_review(world, plan, "batched")
    for content_hash in hashes:
        world.ledger.submit(plan.contributor, dataset, content_hash, 0)
    side: dict[str, Vote] = {}
    for item in plan.items:
        for v in item.votes:
            side.setdefault(v.account.address, v)
    book = Ledgerbook()
    bond = plan.stake * len(plan.items)  # enough for a ballot on every item, all open at once
    for v in side.values():
        deposit_bond(world.review, v.account, dataset, bond)
        book.add(v.attacker, -bond)

    review = world.review.require_review(dataset)
    chain_id = world.ledger.chain_id
    deadline = int(world.w3.eth.get_block("latest")["timestamp"]) + 86_400
    signed: list[tuple[Ballot, bytes]] = []
    for nonce, (item, content_hash) in enumerate(zip(plan.items, hashes, strict=True)):
        for v in item.votes:
            ballot = Ballot(v.account.address, content_hash, v.approve, nonce, deadline)
            signed.append((ballot, sign_ballot(bytes(v.account.key), chain_id, review, ballot)))

    counted, skipped = 0, 0
    late: list[ClaimRef] = []  # accepted ballots not paid at settlement
    for start in range(0, len(signed), batch):
        settlement = settle_ballots(world.review, world.relayer, dataset, signed[start : start + batch])
        for o in settlement.outcomes:
            if o.reason is SkipReason.NOT_OPEN:
                skipped += 1  # arrived after its item was decided: no stake drawn
            elif not o.accepted:
                raise SystemExit(f"the benchmark's own ballot was refused: {o.sentence}")
            else:
                counted += 1
                if not o.decided:
                    late.append(ClaimRef(o.ballot.content_hash, 0, o.ballot.voter))

    approved = [world.review.item_review(dataset, h).outcome.name == "APPROVED" for h in hashes]
    won = dict(zip(hashes, approved, strict=True))
    approve_of = {(b.content_hash, b.voter): b.approve for b, _ in signed}
    winners = [c for c in late if approve_of[(c.content_hash, c.voter)] == won[c.content_hash]]
    for start in range(0, len(winners), MAX_BALLOTS):
        _, claimed = claim_batch(world.review, world.relayer, dataset, winners[start : start + MAX_BALLOTS])
        refused = [o.reason.sentence for o in claimed if o.reason is not SkipReason.NONE]
        if refused:
            raise SystemExit(f"the benchmark's own claims were refused: {refused[:3]}")

    for v in side.values():
        held = bond_of(world.review, dataset, v.account.address)
        if held > 0:
            withdraw_bond(world.review, v.account, dataset, held)
            book.add(v.attacker, held)
    return plan.row("batched", approved, book, counted, skipped)


# ---------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a few items at two settings (CI)")
    parser.add_argument("--items", type=int, default=None, help="poisoned items per attack and setting")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--path", choices=(*PATHS, "both"), default="both", help="which voting path(s)")
    parser.add_argument("--batch", type=int, default=32, help="ballots per settlement (batched path)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.batch <= MAX_BALLOTS:
        parser.error(f"--batch must be 1 to {MAX_BALLOTS} ballots, not {args.batch}")
    if args.items is not None and args.items < 1:
        parser.error(f"--items must be at least 1, not {args.items}")

    paths = PATHS if args.path == "both" else (args.path,)
    quorums = [1, 3] if args.smoke else [1, 3, 5]
    stakes = [ETHER // 1000] if args.smoke else [ETHER // 1000, ETHER // 10]
    items = args.items or (2 if args.smoke else 12)
    rng = random.Random(args.seed)
    world = World()
    runners: dict[str, Callable[[Plan], Row]] = {
        "per-vote": lambda plan: run_per_vote(world, plan),
        "batched": lambda plan: run_batched(world, plan, args.batch),
    }
    started = time.perf_counter()
    seconds = dict.fromkeys(paths, 0.0)  # wall time on the in-memory chain, signing included
    rows: list[Row] = []
    for x in quorums:
        for stake in stakes:
            plans = (
                plan_collusion(world, x, stake, items, rng),
                plan_lazy(world, x, stake, items, rng),
                plan_sybil(world, x, stake, items, rng, sybils=15),
            )
            for plan in plans:
                for path in paths:
                    began = time.perf_counter()
                    rows.append(runners[path](plan))
                    seconds[path] += time.perf_counter() - began
    print_table(rows)
    if len(paths) == 2:
        print_comparison(rows)
    spent = ", ".join(f"{path} {s:.1f} s" for path, s in seconds.items())
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.1f} s ({spent}; batch {args.batch})")
    if args.out:
        args.out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'attack':<36} {'x':>2} {'stake ETH':>9} {'path':>8} {'poisoned passed':>15} "
        f"{'attacker ETH':>13} {'honest ETH':>11} {'votes':>5} {'late':>4}"
    )
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: (r.attack, r.stake_eth, r.x, PATHS.index(r.path))):
        passed = f"{r.poisoned_passed}/{r.poisoned_total}"
        print(
            f"{r.attack:<36} {r.x:>2} {r.stake_eth:>9.3f} {r.path:>8} {passed:>15} "
            f"{r.attacker_net_eth:>+13.4f} {r.honest_net_eth:>+11.4f} {r.votes_counted:>5} "
            f"{r.ballots_skipped:>4}"
        )


def print_comparison(rows: list[Row]) -> None:
    """Where the batched path's outcomes or money differ from the per-vote path's on the same plan."""
    per_vote = {(r.attack, r.x, r.stake_eth): r for r in rows if r.path == "per-vote"}
    differing = 0
    for r in rows:
        if r.path != "batched":
            continue
        base = per_vote[(r.attack, r.x, r.stake_eth)]
        same = (
            r.approved == base.approved
            and r.votes_counted == base.votes_counted
            and r.attacker_net_wei == base.attacker_net_wei
            and r.honest_net_wei == base.honest_net_wei
        )
        if not same:
            differing += 1
            print(f"differs: {r.attack} x={r.x} stake={r.stake_eth}: per-vote {base}, batched {r}")
    print(f"\nbatched vs per-vote: {len(per_vote) - differing} of {len(per_vote)} settings identical "
          "(items approved, votes counted, both sides' net wei)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

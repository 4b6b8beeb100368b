"""Attacks on the review network, run on the real contracts: how many poisoned items pass, and at what price.

Three attacks, each at every setting of x (votes one side needs) and stake, in plain-vote mode, on an
in-memory chain through the same ReviewLedger the platform uses:

- collusion: a minority of the allow-listed reviewers coordinates to approve its accomplice's poisoned
  items, and votes first (they watch the queue); the honest rest arrive in random order;
- lazy: some allow-listed reviewers approve everything without looking, arriving in random order
  among honest ones (who judge correctly 90% of the time); half the items are poisoned;
- sybil: open voting, one attacker with many funded wallets approves the poisoned items; all voters
  arrive in random order.

"Attacker ETH" is what the attacking side got back minus what it staked (rewards and the losers'
slashed stakes included, gas excluded), summed over the attacker's wallets.

    .venv/bin/python benchmarks/review_attacks.py            # full table, a few minutes
    .venv/bin/python benchmarks/review_attacks.py --smoke    # CI's small version
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from sebrus.chain.errors import ContractReverted
from sebrus.chain.ledger import Ledger
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_types import ReviewTerms

ETHER = 10**18
REWARD = ETHER // 2000
HONEST_ACCURACY = 0.9


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
        self._datasets = 0

    def wallet(self) -> LocalAccount:
        account: LocalAccount = Account.create()
        self.w3.eth.send_transaction(
            {"from": self.bank, "to": account.address, "value": 100 * ETHER, "gas": 21_000}
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


@dataclass
class Ledgerbook:
    """Protocol money in and out per side: stakes paid in, claims paid out."""

    attacker: int = 0
    honest: int = 0


def judge_item(
    world: World,
    dataset: str,
    item: bytes,
    voters: list[tuple[LocalAccount, bool, bool]],
    book: Ledgerbook,
    stake: int,
) -> bool:
    """Cast votes in the given order until the item resolves; winners claim. Returns approved."""
    cast: list[tuple[LocalAccount, bool, bool]] = []
    for account, approve, is_attacker in voters:
        try:
            world.review.vote(account, dataset, item, approve)
        except ContractReverted as refused:
            if refused.error == "AlreadyResolved":
                break
            raise
        cast.append((account, approve, is_attacker))
        if is_attacker:
            book.attacker -= stake
        else:
            book.honest -= stake
    outcome = world.review.item_review(dataset, item).outcome
    approved = outcome.name == "APPROVED"
    for account, approve, is_attacker in cast:
        if approve == approved:
            paid = world.review.claim(account, dataset, item, 0).amount_wei
            if is_attacker:
                book.attacker += paid
            else:
                book.honest += paid
    return approved


def honest_vote(rng: random.Random, poisoned: bool) -> bool:
    correct = not poisoned
    return correct if rng.random() < HONEST_ACCURACY else not correct


def run_collusion(world: World, x: int, stake: int, items: int, rng: random.Random) -> Row:
    owner, accomplice = world.wallet(), world.wallet()
    reviewers = [world.wallet() for _ in range(10)]
    colluders = reviewers[:3]
    dataset = world.dataset(
        owner, ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD), 4 * REWARD * x * items
    )
    for reviewer in reviewers:
        world.review.allow_voter(owner, dataset, reviewer.address)
    book, passed = Ledgerbook(), 0
    for i in range(items):
        item = hashlib.sha256(f"collusion {x} {stake} {i}".encode()).digest()
        world.ledger.submit(accomplice, dataset, item, 0)
        honest = [r for r in reviewers if r not in colluders]
        rng.shuffle(honest)
        order = [(c, True, True) for c in colluders] + [(h, honest_vote(rng, True), False) for h in honest]
        passed += judge_item(world, dataset, item, order, book, stake)
    return Row("collusion (3 of 10 vote first)", x, stake / ETHER, "3 colluders", passed, items,
               book.attacker / ETHER, book.honest / ETHER)  # fmt: skip


def run_lazy(world: World, x: int, stake: int, items: int, rng: random.Random) -> Row:
    owner, contributor = world.wallet(), world.wallet()
    reviewers = [world.wallet() for _ in range(10)]
    lazy = set(r.address for r in reviewers[:5])
    dataset = world.dataset(
        owner, ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD), 4 * REWARD * x * items
    )
    for reviewer in reviewers:
        world.review.allow_voter(owner, dataset, reviewer.address)
    book, passed, poisoned_total = Ledgerbook(), 0, 0
    for i in range(items):
        poisoned = i % 2 == 0
        poisoned_total += poisoned
        item = hashlib.sha256(f"lazy {x} {stake} {i}".encode()).digest()
        world.ledger.submit(contributor, dataset, item, 0)
        order = list(reviewers)
        rng.shuffle(order)
        votes = [
            (r, True, True) if r.address in lazy else (r, honest_vote(rng, poisoned), False) for r in order
        ]
        approved = judge_item(world, dataset, item, votes, book, stake)
        passed += approved and poisoned
    return Row("lazy (5 of 10 always approve)", x, stake / ETHER, "5 lazy", passed, poisoned_total,
               book.attacker / ETHER, book.honest / ETHER)  # fmt: skip


def run_sybil(world: World, x: int, stake: int, items: int, rng: random.Random, sybils: int) -> Row:
    owner, contributor = world.wallet(), world.wallet()
    honest = [world.wallet() for _ in range(5)]
    wallets = [world.wallet() for _ in range(sybils)]
    terms = ReviewTerms(quorum=x, stake_wei=stake, reward_wei=REWARD, open_voting=True)
    dataset = world.dataset(owner, terms, 4 * REWARD * x * items)
    book, passed = Ledgerbook(), 0
    for i in range(items):
        item = hashlib.sha256(f"sybil {x} {stake} {i}".encode()).digest()
        world.ledger.submit(contributor, dataset, item, 0)
        votes = [(w, True, True) for w in wallets] + [(h, honest_vote(rng, True), False) for h in honest]
        rng.shuffle(votes)
        passed += judge_item(world, dataset, item, votes, book, stake)
    attack = f"sybil flood (open, {sybils} wallets vs 5)"
    return Row(attack, x, stake / ETHER, f"{sybils} sybils", passed, items,
               book.attacker / ETHER, book.honest / ETHER)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a few items at two settings (CI)")
    parser.add_argument("--items", type=int, default=None, help="poisoned items per attack and setting")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)

    quorums = [1, 3] if args.smoke else [1, 3, 5]
    stakes = [ETHER // 1000] if args.smoke else [ETHER // 1000, ETHER // 10]
    items = args.items or (2 if args.smoke else 12)
    rng = random.Random(args.seed)
    world = World()
    rows: list[Row] = []
    for x in quorums:
        for stake in stakes:
            rows.append(run_collusion(world, x, stake, items, rng))
            rows.append(run_lazy(world, x, stake, items, rng))
            rows.append(run_sybil(world, x, stake, items, rng, sybils=15))
    print_table(rows)
    if args.out:
        args.out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'attack':<36} {'x':>2} {'stake ETH':>9} {'poisoned passed':>15} {'attacker ETH':>13} "
        f"{'honest ETH':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: (r.attack, r.stake_eth, r.x)):
        passed = f"{r.poisoned_passed}/{r.poisoned_total}"
        print(
            f"{r.attack:<36} {r.x:>2} {r.stake_eth:>9.3f} {passed:>15} "
            f"{r.attacker_net_eth:>+13.4f} {r.honest_net_eth:>+11.4f}"
        )


if __name__ == "__main__":
    sys.exit(main())

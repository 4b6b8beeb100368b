"""Stateful property test of Review: random operations from many accounts against an independent model.

Every step sends one real transaction (submit, quarantine, an outside resolution, policy change,
allow-list change, the owner revoking or granting the review's resolver role on the dataset, deposit,
vote, commit, reveal, finalize, claim, deposit refund, fund, withdraw) or moves time (now and then
past the stall timeout, so that frozen rounds expire and refund their stakes). The model predicts
whether the contract must accept it and what it must do with the money, and after every step the
machine checks:

- ETH is conserved: the review's balance equals stakesHeld + rewardsReserved + pool + depositsHeld,
  and equals the model's balance (every wei in minus every wei out);
- every counter equals the model's, and each accepted or refused transaction is the one the model
  predicted;
- no account is ever paid twice: each (item, round, voter) and each deposit is paid at most once, and
  a claimer's balance moves by exactly the model's payout (after gas);
- an item's status only moves forward, and a resolved outcome never changes.

Version 3's paths run in the same machine: voters deposit and withdraw bonds, signed ballots are
settled in batches of one to three (some forged, expired or replaying a spent nonce; each ballot's
skip reason must be the model's), claim batches credit bonds, and deposit batches pay many deposits.
Then ETH conservation reads balance == stakesHeld + rewardsReserved + pool + depositsHeld + bondsHeld,
the model tracks every bond, and "paid at most once" covers ballots paid at once or by a claim batch.

The default profile (5 examples of 60 steps, about 300 operations) runs in CI. The full run:

    SEBRUS_PROPERTY_EXAMPLES=200 SEBRUS_PROPERTY_MIN_OPERATIONS=10000 \
        .venv/bin/pytest tests/contracts/test_review_properties.py -s

prints the operations it ran and how many of each the chain accepted or refused (and why), and fails
if it ran fewer than SEBRUS_PROPERTY_MIN_OPERATIONS.

Last full run with the version 3 paths (issue 16), on a shared 2-core machine:

    SEBRUS_PROPERTY_EXAMPLES=170 SEBRUS_PROPERTY_MIN_OPERATIONS=10000 \
        .venv/bin/pytest tests/contracts/test_review_properties.py -q -x -s

171 examples, 11,106 operations, passed in 7 min 25 s wall (329 s CPU): 860 settleBallots batches
(240 ballots counted; skips for every reason, 222 of them NoResolver, 140 forged, 174 expired),
473 claims credited by claimBatch, 966 bond deposits and 49 withdrawals, 7 deposit batches paid.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
from eth_account import Account
from eth_keys.datatypes import PrivateKey
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.support.contracts import APPROVED, PENDING, QUARANTINED, REJECTED, content_hash
from tests.support.review_contracts import (
    RESOLVER_ROLE,
    VOTER_ROLE,
    FastContract,
    ReviewChain,
    Terms,
    commitment,
    raw_events,
    salt_for,
)

EXAMPLES = int(os.environ.get("SEBRUS_PROPERTY_EXAMPLES", "5"))
STEPS = int(os.environ.get("SEBRUS_PROPERTY_STEPS", "60"))
EXTRA_ACCOUNTS = 12
MAX_ITEMS = 8
GAS = 1_000_000
ITEM_REVIEWED = "ItemReviewed(bytes32,uint32,bool,uint32,uint32)"
CLAIMED = "Claimed(bytes32,uint32,address,uint256)"
BALLOT_SKIPPED = "BallotSkipped(uint256,bytes32,address,uint8)"
CLAIM_SKIPPED = "ClaimSkipped(uint256,bytes32,address,uint8)"
# IReview.SkipReason by the model's names for them
SKIP = {
    "expired": 1,
    "bad signature": 2,
    "nonce": 3,
    "resolved": 4,
    "no vote needed": 5,
    "own item": 6,
    "not listed": 7,
    "no deposit": 8,
    "commit-reveal": 9,
    "twice": 10,
    "bond": 11,
    "pool": 12,
    "no ballot": 13,
    "claimed": 14,
    "open": 15,
    "not settled": 16,
    "nothing due": 17,
    "no resolver": 18,
}
BALLOT_TYPES = {
    "Ballot": [
        {"name": "contentHash", "type": "bytes32"},
        {"name": "approve", "type": "bool"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}

OPEN, RESOLVED, FAILED, ABORTED, EXPIRED = "open", "resolved", "failed", "aborted", "expired"
STALL_TIMEOUT = 14 * 86400  # Review.STALL_TIMEOUT
NO_OUTCOME, OUT_APPROVED, OUT_REJECTED = 0, 1, 2
COUNTERS = {"operations": 0, "examples": 0}
OUTCOMES: Counter[str] = Counter()  # "vote ok", "claim refused", ... for the run's report

_chain: ReviewChain | None = None
_keys: dict[str, PrivateKey] = {}  # account -> key, for signing ballots


def shared_chain() -> ReviewChain:
    """One chain for the whole run (deploying costs seconds); each example gets fresh clones."""
    global _chain
    if _chain is None:
        chain = ReviewChain()
        tester = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        for key in tester.backend.account_keys:
            _keys[key.public_key.to_checksum_address()] = key
        for i in range(EXTRA_ACCOUNTS):
            account = Account.from_key(keccak(text=f"review property account {i}"))
            tester.add_account("0x" + account.key.hex())
            _keys[account.address] = PrivateKey(bytes(account.key))
            chain.w3.eth.send_transaction(
                {"from": chain.deployer, "to": account.address, "value": 10**22, "gas": 21_000}
            )
            chain.accounts.append(account.address)
        _chain = chain
    return _chain


terms_strategy = st.builds(
    lambda quorum, open_voting, cr, windows, stake, reward, deposit, delay: Terms(
        quorum=quorum,
        open_voting=open_voting,
        commit_reveal=cr,
        commit_window=windows[0] if cr else 0,
        reveal_window=windows[1] if cr else 0,
        stake=stake if (stake or not open_voting) else 1,
        reward=reward,
        deposit=deposit,
        finalize_delay=delay,
    ),
    st.sampled_from([0, 1, 1, 2, 2, 2, 3, 3]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([(30, 30), (60, 120), (200, 50)]),
    st.sampled_from([0, 1, 1000, 12_345]),
    st.sampled_from([0, 3, 101]),
    st.sampled_from([0, 0, 50]),
    st.sampled_from([0, 0, 60, 500]),
)
index = st.integers(0, 10**6)
# Operation weights: voting paths dominate so that items actually get decided and paid out.
OPS = (
    ["submit"] * 8
    + ["quarantine"] * 3
    + ["resolve_elsewhere"] * 1
    + ["resolver_role"] * 3
    + ["stall"] * 2
    + ["set_policy"] * 2
    + ["allow_list"] * 4
    + ["advance_time"] * 8
    + ["deposit"] * 5
    + ["vote"] * 34
    + ["reveal"] * 14
    + ["finalize"] * 6
    + ["claim"] * 12
    + ["claim_deposit"] * 3
    + ["fund"] * 3
    + ["withdraw"] * 2
    + ["bond"] * 4
    + ["withdraw_bond"] * 2
    + ["signed"] * 24
    + ["claim_batch"] * 6
    + ["deposit_batch"] * 3
)


@dataclass
class MRound:
    ballots: dict[str, str] = field(default_factory=dict)  # voter -> "C" | "A" | "R"
    salts: dict[str, bytes] = field(default_factory=dict)
    sides: dict[str, bool] = field(default_factory=dict)  # committed side
    claimed: set[str] = field(default_factory=set)
    commits: int = 0
    reveals: int = 0
    approvals: int = 0
    rejections: int = 0
    commit_ends: int = 0
    opened_at: int = 0
    state: str = OPEN
    settled: bool = False
    share: int = 0


@dataclass
class MItem:
    contributor: str
    submitted_at: int
    version: int
    status: int = PENDING
    outcome: int = NO_OUTCOME
    deposit_paid: bool = False
    deposit_settled: bool = False
    opened: bool = False  # the review has a record of it (a ballot decided at once leaves none)
    round: int = 0
    rounds: dict[int, MRound] = field(default_factory=lambda: {0: MRound()})

    def current(self) -> MRound:
        return self.rounds.setdefault(self.round, MRound())


class ReviewMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = shared_chain()
        self.w3 = self.chain.w3
        self.tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        self.owner = self.chain.accounts[1]
        self.detector = self.chain.accounts[2]
        self.people = self.chain.accounts[3:]
        self.items: dict[bytes, MItem] = {}
        self.order: list[bytes] = []
        self.versions: list[tuple[Terms, int]] = []
        self.allowed: set[str] = set()
        self.resolver = True  # the review holds RESOLVER_ROLE on the dataset
        self.pool = self.reserved = self.stakes = self.deposits = self.balance = 0
        self.bonds: dict[str, int] = {}
        self.bonds_held = 0
        self.used_nonces: set[tuple[str, int]] = set()
        self.nonce_counter = 0
        self.touched_accounts: set[str] = set()
        self.paid_claims: set[tuple[bytes, int, str]] = set()
        self.paid_deposits: set[bytes] = set()
        self.seen_status: dict[bytes, int] = {}
        self.seen_outcome: dict[bytes, int] = {}
        self.touched: bytes | None = None
        self.steps = 0
        COUNTERS["examples"] += 1

    # ------------------------------------------------------------------ plumbing

    def now(self) -> int:
        """The timestamp the next transaction will carry (eth-tester fixes it when it mines)."""
        return int(self.tester.get_block_by_number("pending")["timestamp"])

    def balance_of(self, account: str) -> int:
        return int(self.tester.get_balance(account))

    def send(
        self, contract: FastContract, sender: str, name: str, *args: Any, value: int = 0
    ) -> tuple[bool, Any, int]:
        """Mine one call; returns (succeeded, eth-tester receipt, gas cost in wei)."""
        COUNTERS["operations"] += 1
        receipt = contract.send(sender, name, *args, value=value, gas=GAS)
        return receipt["status"] == 1, receipt, receipt["gas_used"] * receipt["effective_gas_price"]

    def expect(self, predicted: bool, ok: bool, what: str, reason: str | None = None) -> None:
        OUTCOMES[f"{what.split(' ')[0]} {'ok' if ok else 'refused'}{f' ({reason})' if reason else ''}"] += 1
        assert ok == predicted, (
            f"{what}: model predicted {'success' if predicted else 'refusal'}, chain said {ok}"
        )

    def terms_of(self, item: MItem) -> Terms:
        return self.versions[item.version][0]

    def version_at(self, timestamp: int) -> int:
        return max(i for i, (_, effective) in enumerate(self.versions) if effective <= timestamp)

    def required(self, item: MItem) -> int:
        quorum = self.terms_of(item).quorum
        return 1 if item.status == QUARANTINED and quorum == 0 else quorum

    def pick(self, n: int) -> bytes:
        # Hypothesis favours small numbers; turning by the step count spreads the choices.
        return self.order[(n + self.steps) % len(self.order)]

    def person(self, n: int) -> str:
        return self.people[(n + 7 * self.steps) % len(self.people)]

    @staticmethod
    def revealable(item: MItem) -> bool:
        return "C" in item.current().ballots.values()

    @staticmethod
    def claimable(item: MItem) -> bool:
        return any(r.state != OPEN and set(r.ballots) - r.claimed for r in item.rounds.values())

    def pick_where(self, n: int, wanted: Any) -> int:
        """An index into the items, among those ``wanted(item)`` accepts when there are any."""
        hits = [i for i, h in enumerate(self.order) if wanted(self.items[h])]
        pool = hits or list(range(len(self.order)))
        return (pool[(n + self.steps) % len(pool)] - self.steps) % len(self.order)

    def relayable(self, item: MItem) -> bool:
        """An open item whose policy takes relayed ballots."""
        terms = self.terms_of(item)
        open_ = item.outcome == NO_OUTCOME and self.is_open(item) and self.required(item) > 0
        return open_ and not terms.commit_reveal and (terms.deposit == 0 or item.deposit_paid)

    @staticmethod
    def is_open(item: MItem) -> bool:
        return item.status in (PENDING, QUARANTINED)

    # ------------------------------------------------------------------ model transitions

    def m_resolve(self, item: MItem, rnd: MRound, approved: bool) -> None:
        item.outcome = OUT_APPROVED if approved else OUT_REJECTED
        item.status = APPROVED if approved else REJECTED
        rnd.state = RESOLVED
        if not approved:
            self.m_forfeit_deposit(item)
        if not self.terms_of(item).commit_reveal or rnd.reveals == rnd.commits:
            self.m_settle(item, rnd)

    def m_forfeit_deposit(self, item: MItem) -> None:
        if item.deposit_paid and not item.deposit_settled:
            item.deposit_settled = True
            amount = self.terms_of(item).deposit
            self.deposits -= amount
            self.pool += amount

    def m_settle(self, item: MItem, rnd: MRound) -> None:
        terms = self.terms_of(item)
        approved = item.outcome == OUT_APPROVED
        winners = rnd.approvals if approved else rnd.rejections
        losers = rnd.rejections if approved else rnd.approvals
        unrevealed = rnd.commits - rnd.reveals
        losing = losers * terms.stake
        share = losing // winners if winners else 0
        stakes_out = losing - share * winners + unrevealed * terms.stake
        rewards_out = (losers + unrevealed) * terms.reward
        rnd.settled, rnd.share = True, share
        self.stakes -= stakes_out
        self.reserved -= rewards_out
        self.pool += stakes_out + rewards_out

    def m_fail(self, item: MItem, rnd: MRound) -> None:
        terms = self.terms_of(item)
        unrevealed = rnd.commits - rnd.reveals
        rnd.state, rnd.settled = FAILED, True
        self.stakes -= unrevealed * terms.stake
        self.reserved -= rnd.commits * terms.reward
        self.pool += unrevealed * terms.stake + rnd.commits * terms.reward
        item.round += 1
        item.rounds[item.round] = MRound()

    def m_expire(self, item: MItem, rnd: MRound) -> None:
        terms = self.terms_of(item)
        rnd.state, rnd.settled = EXPIRED, True
        self.reserved -= rnd.commits * terms.reward
        self.pool += rnd.commits * terms.reward
        item.round += 1
        item.rounds[item.round] = MRound()

    def settleable(self, item: MItem, rnd: MRound, now: int) -> bool:
        return rnd.reveals == rnd.commits or now >= rnd.commit_ends + self.terms_of(item).reveal_window

    def refusal(self, item: MItem, voter: str, value: int) -> str | None:
        """Why the contract must refuse this voter's vote or commit (the checks both share), or None."""
        terms = self.terms_of(item)
        checks = [
            ("resolved", item.outcome == NO_OUTCOME and self.is_open(item)),
            ("no vote needed", self.required(item) > 0),
            ("own item", voter != item.contributor),
            ("not listed", terms.open_voting or voter in self.allowed),
            ("no deposit", terms.deposit == 0 or item.deposit_paid),
            ("wrong stake", value == terms.stake),
        ]
        return next((reason for reason, passed in checks if not passed), None)

    # ------------------------------------------------------------------ setup

    @initialize(terms=terms_strategy, funding=st.sampled_from([0, 100_000, 100_000]))
    def setup(self, terms: Terms, funding: int) -> None:
        dataset = self.chain.create_dataset(self.owner, detector=self.detector)
        review = self.chain.create_review(dataset, self.owner, terms)
        self.ds = FastContract(self.chain, dataset.address, self.chain.dataset_artifact["abi"])
        self.rv = FastContract(self.chain, review.address, self.chain.review_artifact["abi"])
        # the owner may also resolve directly: the "resolved elsewhere" path
        self.chain.send(dataset.functions.grantRole(RESOLVER_ROLE, self.owner), self.owner)
        (_, effective_from) = self.rv.call("policyAt", 0)
        self.versions.append((terms, int(effective_from)))
        if funding:
            self.chain.pay(review.functions.fundPool(), self.owner, funding)
            self.pool = self.balance = funding
        for voter in self.people[::3]:  # a standing allow-list, used whenever a policy is allow-list
            self.chain.send(review.functions.grantRole(VOTER_ROLE, voter), self.owner)
            self.allowed.add(voter)

    # ------------------------------------------------------------------ rules

    # ------------------------------------------------------------------ the one rule

    @rule(
        op=st.sampled_from(OPS),
        n=index,
        who=index,
        flag=st.integers(0, 19),
        approve=st.booleans(),
        terms=terms_strategy,
    )
    def step(self, op: str, n: int, who: int, flag: int, approve: bool, terms: Terms) -> None:
        """One weighted operation. A single rule (rather than one per operation) keeps Hypothesis's
        swarm testing from switching voting off for whole examples."""
        self.steps += 1
        flag = (flag + 3 * self.steps) % 20  # Hypothesis favours 0; spread the rare branches out
        if op == "reveal" and flag % 4 and not any(self.revealable(i) for i in self.items.values()):
            op = "vote"  # nothing to reveal: mostly vote instead, sometimes try a refused reveal
        if op == "claim" and flag % 4 and not any(self.claimable(i) for i in self.items.values()):
            op = "vote"
        if op == "signed" and flag % 4 and not any(self.relayable(i) for i in self.items.values()):
            op = "vote"  # no item takes relayed ballots: mostly vote instead, sometimes try anyway
        if op == "submit" or not self.order:
            if len(self.order) < MAX_ITEMS:
                self.submit(who)
                return
            op = "vote"
        if op == "quarantine":
            self.quarantine(n)
        elif op == "resolve_elsewhere":
            self.resolve_elsewhere(n, approve)
        elif op == "resolver_role":
            self.resolver_role(flag % 2 == 0)
        elif op == "stall":  # mostly the owner freezes the review; time passes; someone tries to expire
            if self.resolver and flag % 4:
                self.resolver_role(False)
            self.advance_time(STALL_TIMEOUT)
            stalled = self.pick_where(
                n, lambda item: item.current().commits > 0 and item.current().state == OPEN
            )
            self.finalize(stalled, who)
        elif op == "set_policy":
            self.set_policy(terms, flag % 10)
        elif op == "allow_list":
            self.allow_list(who, flag % 4 != 0)
        elif op == "advance_time":
            self.advance_time(STALL_TIMEOUT if flag >= 18 else [1, 10, 40, 130, 400][flag % 5])
        elif op == "deposit":
            self.deposit(n, flag % 6, flag % 10)
        elif op in ("vote", "commit"):
            if flag % 5:
                n = self.pick_where(n, lambda item: item.outcome == NO_OUTCOME and self.is_open(item))
            item = self.items[self.pick(n)]
            terms = self.terms_of(item)
            if terms.deposit and not item.deposit_paid and flag % 2:
                self.deposit(n, 1, 1)  # the contributor pays, so that review can open
                return
            if self.required(item) == 0 and flag % 8:
                self.finalize(n, who)  # x = 0: nothing to vote on, the item waits for finalize
                return
            # mostly the call the item's mode takes; now and then the other one, which must be refused
            plain = not terms.commit_reveal if flag != 7 else terms.commit_reveal
            voter = self.pick_voter(n, who, flag)
            if plain:
                self.vote(n, voter, approve, flag)
            else:
                self.commit(n, voter, approve, flag)
        elif op == "reveal":
            n = self.pick_where(n, self.revealable)
            rnd = self.items[self.pick(n)].current()
            if rnd.commit_ends > self.now() and flag % 3:
                self.advance_time(rnd.commit_ends - self.now())
            else:
                self.reveal(n, who, flag)
        elif op == "finalize":
            if flag % 3:  # mostly an item with ballots in an open round: one that may have stalled
                n = self.pick_where(
                    n, lambda item: item.current().commits > 0 and item.current().state == OPEN
                )
            self.finalize(n, who)
        elif op == "claim":
            n = self.pick_where(n, self.claimable)
            self.claim(n, who, flag)
        elif op == "claim_deposit":
            self.claim_deposit(n, flag % 6)
        elif op == "fund":
            self.fund(who, [0, 7, 300, 50_000][flag % 4])
        elif op == "withdraw":
            self.withdraw([0.0, 0.5, 1.0, 1.5][flag % 4], who % 3)
        elif op == "bond":
            self.bond(self.person(who), [0, 1, 5_000, 100_000][flag % 4])
        elif op == "withdraw_bond":  # mostly someone who holds a bond
            holders = sorted(a for a, held in self.bonds.items() if held)
            voter = holders[who % len(holders)] if holders and flag % 4 else self.person(who)
            self.withdraw_bond(voter, [0.0, 0.5, 1.0, 1.5][flag % 4], who % 2)
        elif op == "signed":
            self.signed(n, who, flag, approve)
        elif op == "claim_batch":
            self.claim_batch(n, who, flag)
        elif op == "deposit_batch":
            self.deposit_batch(n, flag)

    def pick_voter(self, n: int, who: int, flag: int) -> int:
        """Mostly a listed voter in allow-list mode, so that votes get through; anyone otherwise."""
        item = self.items[self.pick(n)]
        if not self.terms_of(item).open_voting and self.allowed and flag % 3:
            listed = self.people.index(sorted(self.allowed)[who % len(self.allowed)])
            return (listed - 7 * self.steps) % len(self.people)  # undo person()'s turn
        return who

    # ------------------------------------------------------------------ operations

    def submit(self, who: int) -> None:
        contributor = self.person(who)
        item = content_hash(f"{self.rv.address} item {len(self.order)}")
        now = self.now()
        ok, _, _ = self.send(self.ds, contributor, "submit", item, 0, b"")
        self.expect(True, ok, "submit")
        self.items[item] = MItem(contributor, now, self.version_at(now))
        self.order.append(item)
        self.touched = item

    def quarantine(self, n: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        ok, _, _ = self.send(self.ds, self.detector, "quarantine", item_hash, keccak(text="report"))
        self.expect(item.status == PENDING, ok, "quarantine")
        if ok:
            item.status = QUARANTINED
        self.touched = item_hash

    def resolve_elsewhere(self, n: int, approved: bool) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        ok, _, _ = self.send(self.ds, self.owner, "resolve", item_hash, approved)
        self.expect(self.is_open(item), ok, "outside resolve")
        if ok:
            item.status = APPROVED if approved else REJECTED
        self.touched = item_hash

    def resolver_role(self, grant: bool) -> None:
        """The dataset's owner revokes (freezing every deciding vote) or grants back the role."""
        ok, _, _ = self.send(
            self.ds, self.owner, "grantRole" if grant else "revokeRole", RESOLVER_ROLE, self.rv.address
        )
        self.expect(True, ok, f"resolver role {'granted' if grant else 'revoked'}")
        self.resolver = grant

    def set_policy(self, terms: Terms, bad: int) -> None:
        if bad == 0:
            terms = terms.but(quorum=101)
        now = self.now()
        ok, _, _ = self.send(self.rv, self.owner, "setPolicy", terms.tuple())
        self.expect(bad != 0, ok, "setPolicy")
        if ok:
            self.versions.append((terms, now + 1))

    def allow_list(self, who: int, allow: bool) -> None:
        voter = self.person(who)
        ok, _, _ = self.send(self.rv, self.owner, "grantRole" if allow else "revokeRole", VOTER_ROLE, voter)
        self.expect(True, ok, "allow-list")
        if allow:
            self.allowed.add(voter)
        else:
            self.allowed.discard(voter)

    def advance_time(self, seconds: int) -> None:
        COUNTERS["operations"] += 1
        self.chain.advance(seconds)

    def deposit(self, n: int, by_contributor: int, wrong: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        terms = self.terms_of(item)
        who = item.contributor if by_contributor else self.person(n + 1)
        value = terms.deposit + (1 if wrong == 0 else 0)
        ok, _, _ = self.send(self.rv, who, "deposit", item_hash, value=value)
        predicted = (
            item.outcome == NO_OUTCOME
            and self.is_open(item)
            and who == item.contributor
            and terms.deposit > 0
            and not item.deposit_paid
            and value == terms.deposit
        )
        self.expect(predicted, ok, "deposit")
        if ok:
            item.opened = True
            item.deposit_paid = True
            self.deposits += value
            self.balance += value
        self.touched = item_hash

    def vote(self, n: int, who: int, approve: bool, wrong: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        terms = self.terms_of(item)
        voter = self.person(who)
        value = terms.stake + (1 if wrong == 0 else 0)
        rnd = item.current()
        reason = self.refusal(item, voter, value) or next(
            (
                why
                for why, refused in (
                    ("commit-reveal", terms.commit_reveal),
                    ("twice", voter in rnd.ballots),
                    ("pool", terms.reward > self.pool),
                    ("no resolver", not self.resolver and self.decides(item, rnd, approve)),
                )
                if refused
            ),
            None,
        )
        now = self.now()
        ok, receipt, _ = self.send(self.rv, voter, "vote", item_hash, approve, value=value)
        self.expect(reason is None, ok, "vote", reason)
        self.touched = item_hash
        if not ok:
            return
        item.opened = True
        if rnd.commits == 0:
            rnd.opened_at = now
        rnd.ballots[voter] = "A" if approve else "R"
        rnd.commits += 1
        rnd.reveals += 1
        self.count(rnd, approve)
        self.reserve(terms)
        self.decide(item, rnd, receipt)

    def commit(self, n: int, who: int, approve: bool, wrong: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        terms = self.terms_of(item)
        voter = self.person(who)
        value = terms.stake + (1 if wrong == 0 else 0)
        now = self.now()
        rnd = item.current()
        expired = rnd.commits > 0 and now >= rnd.commit_ends + terms.reveal_window
        pool_after = self.pool
        if expired:
            pool_after += (rnd.commits - rnd.reveals) * terms.stake + rnd.commits * terms.reward
        cap = 2 * self.required(item) - 1
        fresh = expired or rnd.commits == 0
        reason = self.refusal(item, voter, value) or next(
            (
                why
                for why, refused in (
                    ("plain mode", not terms.commit_reveal),
                    ("closed", not fresh and not (now < rnd.commit_ends and rnd.commits < cap)),
                    ("twice", not fresh and voter in rnd.ballots),
                    ("pool", terms.reward > pool_after),
                )
                if refused
            ),
            None,
        )
        salt = salt_for(voter, (item_hash, item.round + int(expired)))
        ok, _, _ = self.send(
            self.rv, voter, "commit", item_hash, commitment(approve, salt, voter), value=value
        )
        self.expect(reason is None, ok, "commit", reason)
        self.touched = item_hash
        if not ok:
            return
        item.opened = True
        if expired:
            self.m_fail(item, rnd)
            rnd = item.current()
        if rnd.commits == 0:
            rnd.commit_ends = now + terms.commit_window
        rnd.ballots[voter] = "C"
        rnd.salts[voter] = salt
        rnd.sides[voter] = approve
        rnd.commits += 1
        self.reserve(terms)
        if rnd.commits == cap:
            rnd.commit_ends = now

    def reveal(self, n: int, who: int, flag: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        rnd = item.current()
        committed = [v for v, state in rnd.ballots.items() if state == "C"]
        voter = (
            committed[(who + self.steps) % len(committed)] if committed and flag != 5 else self.person(who)
        )
        side = rnd.sides.get(voter, True)
        salt = rnd.salts.get(voter, b"\x01" * 32)
        honest = flag % 8
        if not honest:
            side = not side
        terms = self.terms_of(item)
        now = self.now()
        reason = next(
            (
                why
                for why, refused in (
                    ("no commit", rnd.ballots.get(voter) != "C"),
                    ("aborted", rnd.state == ABORTED),
                    ("too early", now < rnd.commit_ends),
                    ("too late", now >= rnd.commit_ends + terms.reveal_window or rnd.settled),
                    ("mismatch", not honest),
                    ("resolved elsewhere", rnd.state == OPEN and not self.is_open(item)),
                    (
                        "no resolver",
                        rnd.state == OPEN and not self.resolver and self.decides(item, rnd, side),
                    ),
                )
                if refused
            ),
            None,
        )
        ok, receipt, _ = self.send(self.rv, voter, "reveal", item_hash, side, salt)
        self.expect(reason is None, ok, "reveal", reason)
        self.touched = item_hash
        if not ok:
            return
        rnd.ballots[voter] = "A" if side else "R"
        rnd.reveals += 1
        self.count(rnd, side)
        if rnd.state == OPEN:
            self.decide(item, rnd, receipt)
        elif rnd.reveals == rnd.commits:
            self.m_settle(item, rnd)

    def finalize(self, n: int, who: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        terms = self.terms_of(item)
        rnd = item.current()
        now = self.now()
        action = None
        if not item.opened and not self.is_open(item):
            action = None  # decided at once by a signed ballot, or elsewhere untouched: no money to move
        elif item.outcome == NO_OUTCOME:
            if not self.is_open(item):
                action = "abort"
            elif self.required(item) == 0:
                old_enough = now >= item.submitted_at + terms.finalize_delay
                paid = terms.deposit == 0 or item.deposit_paid
                action = "approve" if old_enough and paid and self.resolver else None
            elif terms.commit_reveal and rnd.commits > 0 and now >= rnd.commit_ends + terms.reveal_window:
                action = "fail"
            elif (
                not terms.commit_reveal
                and rnd.commits > 0
                and now >= rnd.opened_at + STALL_TIMEOUT
                and not self.resolver
            ):
                action = "expire"
        elif rnd.state == RESOLVED and not rnd.settled and self.settleable(item, rnd, now):
            action = "settle"
        ok, _, _ = self.send(self.rv, self.person(who), "finalize", item_hash)
        self.expect(action is not None, ok, "finalize", action)
        self.touched = item_hash
        if ok:
            item.opened = True
        if action == "abort":
            item.outcome = OUT_APPROVED if item.status == APPROVED else OUT_REJECTED
            rnd.state, rnd.settled = ABORTED, True
            self.reserved -= rnd.commits * terms.reward
            self.pool += rnd.commits * terms.reward
            if item.outcome == OUT_REJECTED:
                self.m_forfeit_deposit(item)
        elif action == "approve":
            self.m_resolve(item, rnd, True)
        elif action == "fail":
            self.m_fail(item, rnd)
        elif action == "expire":
            self.m_expire(item, rnd)
        elif action == "settle":
            self.m_settle(item, rnd)

    def claim(self, n: int, who: int, flag: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        terms = self.terms_of(item)
        closed = [i for i, r in item.rounds.items() if r.state != OPEN and set(r.ballots) - r.claimed]
        round_index = closed[flag % len(closed)] if closed and flag % 4 else max(0, item.round - flag % 3)
        rnd = item.rounds.setdefault(round_index, MRound())
        voters = sorted(set(rnd.ballots) - rnd.claimed) if flag % 5 else list(rnd.ballots)
        voter = voters[(who + self.steps) % len(voters)] if voters and flag != 3 else self.person(who)
        state = rnd.ballots.get(voter)
        now = self.now()
        amount: int | None = None
        settle_now = False
        if state is not None and voter not in rnd.claimed and rnd.state != OPEN:
            if rnd.state == RESOLVED:
                settle_now = not rnd.settled
                if rnd.settled or self.settleable(item, rnd, now):
                    winning = "A" if item.outcome == OUT_APPROVED else "R"
                    if state == winning:
                        share = rnd.share if rnd.settled else self.preview_share(item, rnd)
                        amount = terms.stake + terms.reward + share
            elif rnd.state == FAILED:
                amount = None if state == "C" else terms.stake
            else:
                amount = terms.stake
        before = self.balance_of(voter)
        ok, receipt, gas = self.send(self.rv, voter, "claim", item_hash, round_index)
        self.expect(amount is not None, ok, "claim", rnd.state if ok else None)
        self.touched = item_hash
        if not ok:
            assert self.balance_of(voter) == before - gas, "a refused claim moved money"
            return
        assert amount is not None
        key = (item_hash, round_index, voter)
        assert key not in self.paid_claims, f"paid twice: {key}"
        self.paid_claims.add(key)
        (claimed,) = raw_events(receipt, self.rv.address, CLAIMED, ["uint32", "uint256"])
        assert claimed == (round_index, amount)
        assert self.balance_of(voter) == before - gas + amount, "claimer's balance moved by the wrong amount"
        if settle_now:
            self.m_settle(item, rnd)
        rnd.claimed.add(voter)
        self.stakes -= amount - (terms.reward if rnd.state == RESOLVED else 0)
        if rnd.state == RESOLVED:
            self.reserved -= terms.reward
        self.balance -= amount

    def claim_deposit(self, n: int, by_contributor: int) -> None:
        item_hash = self.pick(n)
        item = self.items[item_hash]
        who = item.contributor if by_contributor else self.person(n + 3)
        before = self.balance_of(who)
        ok, _, gas = self.send(self.rv, who, "claimDeposit", item_hash)
        predicted = (
            item.outcome == OUT_APPROVED
            and item.deposit_paid
            and not item.deposit_settled
            and who == item.contributor
        )
        self.expect(predicted, ok, "claimDeposit")
        self.touched = item_hash
        if not ok:
            return
        assert item_hash not in self.paid_deposits, "deposit refunded twice"
        self.paid_deposits.add(item_hash)
        amount = self.terms_of(item).deposit
        assert self.balance_of(who) == before - gas + amount
        item.deposit_settled = True
        self.deposits -= amount
        self.balance -= amount

    def fund(self, who: int, amount: int) -> None:
        ok, _, _ = self.send(self.rv, self.person(who), "fundPool", value=amount)
        self.expect(amount > 0, ok, "fundPool")
        if ok:
            self.pool += amount
            self.balance += amount

    def withdraw(self, fraction: float, bump: int) -> None:
        amount = int(self.pool * fraction) + bump
        ok, _, _ = self.send(self.rv, self.owner, "withdrawPool", self.owner, amount)
        self.expect(0 < amount <= self.pool, ok, "withdrawPool")
        if ok:
            self.pool -= amount
            self.balance -= amount

    # ------------------------------------------------------------------ version 3: bonds and batches

    def bond(self, voter: str, amount: int) -> None:
        ok, _, _ = self.send(self.rv, voter, "depositBond", value=amount)
        self.expect(amount > 0, ok, "depositBond")
        if ok:
            self.bonds[voter] = self.bonds.get(voter, 0) + amount
            self.bonds_held += amount
            self.balance += amount
        self.touched_accounts.add(voter)

    def withdraw_bond(self, voter: str, fraction: float, bump: int) -> None:
        held = self.bonds.get(voter, 0)
        amount = int(held * fraction) + bump
        before = self.balance_of(voter)
        ok, _, gas = self.send(self.rv, voter, "withdrawBond", amount)
        self.expect(0 < amount <= held, ok, "withdrawBond")
        if ok:
            assert self.balance_of(voter) == before - gas + amount
            self.bonds[voter] = held - amount
            self.bonds_held -= amount
            self.balance -= amount
        self.touched_accounts.add(voter)

    def sign(
        self, signer: str, item_hash: bytes, approve: bool, voter: str, nonce: int, deadline: int
    ) -> tuple:
        domain = {
            "name": "SeBRUS Review",
            "version": "1",
            "chainId": self.chain.chain_id,
            "verifyingContract": self.rv.address,
        }
        message = {
            "contentHash": item_hash,
            "approve": approve,
            "voter": voter,
            "nonce": nonce,
            "deadline": deadline,
        }
        signed = Account.sign_typed_data(_keys[signer].to_bytes(), domain, BALLOT_TYPES, message)
        vs = signed.s | ((signed.v - 27) << 255)
        return (
            item_hash,
            approve,
            voter,
            nonce,
            deadline,
            signed.r.to_bytes(32, "big"),
            vs.to_bytes(32, "big"),
        )

    def signed(self, n: int, who: int, flag: int, approve: bool) -> None:
        """A batch of one to three signed ballots; some forged, expired or replaying a spent nonce."""
        now = self.now()
        ballots, plans = [], []
        for k in range(1 + flag % 3):
            m = n + 5 * k
            if (flag + k) % 5:  # mostly an open item whose policy takes relayed ballots
                m = self.pick_where(m, self.relayable)
            item_hash = self.pick(m)
            voter = self.person(self.pick_voter(m, who + k, flag))
            terms = self.terms_of(self.items[item_hash])
            if self.bonds.get(voter, 0) < terms.stake and (flag + k) % 3:
                self.bond(voter, 3 * terms.stake + 1)  # most voters keep a bond that covers a vote
            variant = (flag + 3 * k + self.steps) % 12
            side = approve if k % 2 == 0 else not approve
            spent = sorted(nonce for who_, nonce in self.used_nonces if who_ == voter)
            if variant == 2 and spent:
                nonce = spent[(who + k) % len(spent)]
            else:
                self.nonce_counter += 1
                nonce = self.nonce_counter + (256 * k if variant == 3 else 0)
            deadline = now - 1 if variant == 1 else now + 1000
            signer = self.person(who + k + 1) if variant == 0 else voter
            if signer == voter and variant == 0:
                signer = self.people[(self.people.index(voter) + 1) % len(self.people)]
            ballots.append(self.sign(signer, item_hash, side, voter, nonce, deadline))
            plans.append((item_hash, voter, side, nonce, deadline, signer != voter))
        ok, receipt, _ = self.send(self.rv, self.person(who + 2), "settleBallots", ballots)
        self.expect(True, ok, "settleBallots")
        skipped = {
            int(i): int(reason)
            for i, reason in raw_events(receipt, self.rv.address, BALLOT_SKIPPED, ["uint256", "uint8"])
        }
        decided = 0
        for index, (item_hash, voter, side, nonce, deadline, forged) in enumerate(plans):
            reason = self.predict_signed(item_hash, voter, side, nonce, deadline, forged, now)
            OUTCOMES[f"signed {'ok' if reason is None else 'skipped'}{f' ({reason})' if reason else ''}"] += 1
            assert skipped.get(index) == (SKIP[reason] if reason else None), (
                f"ballot {index}: model {reason}, chain {skipped.get(index)}"
            )
            if reason is None:
                decided += self.apply_signed(item_hash, voter, side, nonce, now)
            self.touched_accounts.add(voter)
        reviewed = raw_events(receipt, self.rv.address, ITEM_REVIEWED, ["uint32", "bool", "uint32", "uint32"])
        assert len(reviewed) == decided, "items decided differ from the model's"
        for item_hash, *_ in plans:
            self.check_item(item_hash)

    def predict_signed(
        self, item_hash: bytes, voter: str, side: bool, nonce: int, deadline: int, forged: bool, now: int
    ) -> str | None:
        """Why the contract must skip this ballot, given the model as the batch has left it so far."""
        item = self.items[item_hash]
        terms = self.terms_of(item)
        rnd = item.current()
        at_once = self.required(item) == 1 and rnd.commits == 0
        checks = [
            ("expired", now <= deadline),
            ("bad signature", not forged),
            ("nonce", (voter, nonce) not in self.used_nonces),
            ("resolved", item.outcome == NO_OUTCOME and self.is_open(item)),
            ("no vote needed", self.required(item) > 0),
            ("own item", voter != item.contributor),
            ("not listed", terms.open_voting or voter in self.allowed),
            ("no deposit", terms.deposit == 0 or item.deposit_paid),
            ("commit-reveal", not terms.commit_reveal),
            ("bond", self.bonds.get(voter, 0) >= terms.stake),
            ("pool", terms.reward <= self.pool),
            ("twice", at_once or voter not in rnd.ballots),
            ("no resolver", self.resolver or not (at_once or self.decides(item, rnd, side))),
        ]
        return next((reason for reason, passed in checks if not passed), None)

    def apply_signed(self, item_hash: bytes, voter: str, side: bool, nonce: int, now: int) -> int:
        """The model of one counted signed ballot; 1 when it decided its item."""
        item = self.items[item_hash]
        terms = self.terms_of(item)
        rnd = item.current()
        if self.required(item) == 1 and rnd.commits == 0:
            # Decided at once: the stake never leaves the bond; the reward comes from the pool.
            self.pool -= terms.reward
            self.credit(voter, terms.reward, (item_hash, item.round, voter))
            item.outcome = OUT_APPROVED if side else OUT_REJECTED
            item.status = APPROVED if side else REJECTED
            if side:
                self.credit_deposit(item_hash, item)
            else:
                self.m_forfeit_deposit(item)
            return 1
        item.opened = True
        self.used_nonces.add((voter, nonce))  # only a ballot that stays on record marks its nonce
        self.bonds[voter] = self.bonds.get(voter, 0) - terms.stake  # a zero stake needs no bond
        self.bonds_held -= terms.stake
        self.pool -= terms.reward
        self.reserved += terms.reward
        self.stakes += terms.stake
        if rnd.commits == 0:
            rnd.opened_at = now
        rnd.commits += 1
        rnd.reveals += 1
        self.count(rnd, side)
        if (rnd.approvals if side else rnd.rejections) < self.required(item):
            rnd.ballots[voter] = "A" if side else "R"
            return 0
        self.m_resolve(item, rnd, side)  # plain mode: settles the round
        self.stakes -= terms.stake + rnd.share
        self.reserved -= terms.reward
        self.credit(voter, terms.stake + rnd.share + terms.reward, (item_hash, item.round, voter))
        if side:
            self.credit_deposit(item_hash, item)
        return 1

    def credit(self, account: str, amount: int, key: tuple[bytes, int, str] | None = None) -> None:
        if key is not None:
            assert key not in self.paid_claims, f"paid twice: {key}"
            self.paid_claims.add(key)
        self.bonds[account] = self.bonds.get(account, 0) + amount
        self.bonds_held += amount
        self.touched_accounts.add(account)

    def credit_deposit(self, item_hash: bytes, item: MItem) -> None:
        if item.deposit_paid and not item.deposit_settled:
            assert item_hash not in self.paid_deposits, "deposit refunded twice"
            self.paid_deposits.add(item_hash)
            item.deposit_settled = True
            amount = self.terms_of(item).deposit
            self.deposits -= amount
            self.credit(item.contributor, amount)

    def claim_batch(self, n: int, who: int, flag: int) -> None:
        """One to three claims credited to bonds: mostly owed ones, some paid already or never owed."""
        refs, plans = [], []
        for k in range(1 + flag % 3):
            item_hash = self.pick(self.pick_where(n + 3 * k, self.claimable))
            item = self.items[item_hash]
            closed = [i for i, r in item.rounds.items() if r.state != OPEN and set(r.ballots) - r.claimed]
            round_index = closed[(flag + k) % len(closed)] if closed and (flag + k) % 4 else item.round
            rnd = item.rounds.get(round_index, MRound())
            voters = sorted(set(rnd.ballots) - rnd.claimed) if (flag + k) % 5 else sorted(rnd.ballots)
            voter = voters[(who + k) % len(voters)] if voters and (flag + k) % 7 else self.person(who + k)
            refs.append((item_hash, round_index, voter))
            plans.append((item_hash, round_index, voter))
        now = self.now()
        ok, receipt, _ = self.send(self.rv, self.person(who + 1), "claimBatch", refs)
        self.expect(True, ok, "claimBatch")
        skipped = {
            int(i): int(reason)
            for i, reason in raw_events(receipt, self.rv.address, CLAIM_SKIPPED, ["uint256", "uint8"])
        }
        claimed = iter(raw_events(receipt, self.rv.address, CLAIMED, ["uint32", "uint256"]))
        for index, (item_hash, round_index, voter) in enumerate(plans):
            reason, amount = self.predict_claim(item_hash, round_index, voter, now)
            OUTCOMES[
                f"claimBatch {'ok' if reason is None else 'skipped'}{f' ({reason})' if reason else ''}"
            ] += 1
            assert skipped.get(index) == (SKIP[reason] if reason else None), (
                f"claim {index}: model {reason}, chain {skipped.get(index)}"
            )
            if reason is None:
                assert next(claimed) == (round_index, amount)
            self.touched_accounts.add(voter)
        assert next(claimed, None) is None

    def predict_claim(
        self, item_hash: bytes, round_index: int, voter: str, now: int
    ) -> tuple[str | None, int]:
        """Model one claim of a batch (settling a due round even when the claim itself is skipped)."""
        item = self.items[item_hash]
        terms = self.terms_of(item)
        rnd = item.rounds.get(round_index)
        state = rnd.ballots.get(voter) if rnd else None
        if rnd is None or state is None:
            return "no ballot", 0
        if voter in rnd.claimed:
            return "claimed", 0
        if rnd.state == OPEN:
            return "open", 0
        if rnd.state == RESOLVED and not rnd.settled:
            if not self.settleable(item, rnd, now):
                return "not settled", 0
            self.m_settle(item, rnd)
        if rnd.state == RESOLVED:
            winning = "A" if item.outcome == OUT_APPROVED else "R"
            if state != winning:
                return "nothing due", 0
            amount = terms.stake + rnd.share + terms.reward
            self.stakes -= terms.stake + rnd.share
            self.reserved -= terms.reward
        elif rnd.state == FAILED and state == "C":
            return "nothing due", 0
        else:
            amount = terms.stake
            self.stakes -= amount
        rnd.claimed.add(voter)
        self.credit(voter, amount, (item_hash, round_index, voter))
        return None, amount

    def deposit_batch(self, n: int, flag: int) -> None:
        """One or two deposits in one payment: all or nothing."""
        first = self.pick(self.pick_where(n, lambda i: self.terms_of(i).deposit > 0 and not i.deposit_paid))
        contributor = self.items[first].contributor if flag % 6 else self.person(n + 1)
        hashes = [first]
        if flag % 2:
            mine = [h for h in self.order if self.items[h].contributor == contributor and h != first]
            hashes.append(mine[0] if mine and flag % 4 != 1 else first)  # sometimes the same item twice
        total, paid, fine = 0, set(), True
        for h in hashes:
            item = self.items[h]
            deposit = self.terms_of(item).deposit
            fine = fine and (
                item.outcome == NO_OUTCOME
                and self.is_open(item)
                and contributor == item.contributor
                and deposit > 0
                and not item.deposit_paid
                and h not in paid
            )
            paid.add(h)
            total += deposit
        value = total + (1 if flag % 5 == 0 else 0)
        ok, _, _ = self.send(self.rv, contributor, "depositBatch", hashes, value=value)
        self.expect(fine and value == total, ok, "depositBatch")
        if ok:
            for h in hashes:
                self.items[h].deposit_paid = True
                self.items[h].opened = True
            self.deposits += value
            self.balance += value
        self.touched = first

    # ------------------------------------------------------------------ helpers for rules

    @staticmethod
    def count(rnd: MRound, approve: bool) -> None:
        if approve:
            rnd.approvals += 1
        else:
            rnd.rejections += 1

    def reserve(self, terms: Terms) -> None:
        self.pool -= terms.reward
        self.reserved += terms.reward
        self.stakes += terms.stake
        self.balance += terms.stake

    def decide(self, item: MItem, rnd: MRound, receipt: Any) -> None:
        """Apply the resolution rule and check the contract applied the same one."""
        required = self.required(item)
        reviewed = raw_events(receipt, self.rv.address, ITEM_REVIEWED, ["uint32", "bool", "uint32", "uint32"])
        if rnd.approvals >= required or rnd.rejections >= required:
            approved = rnd.approvals >= required
            assert max(rnd.approvals, rnd.rejections) == required, "a side passed q without resolving"
            assert reviewed == [(item.round, approved, rnd.approvals, rnd.rejections)]
            self.m_resolve(item, rnd, approved)
        else:
            assert not reviewed, "resolved before a side reached q"

    def decides(self, item: MItem, rnd: MRound, approve: bool) -> bool:
        """Whether one more counted ballot on ``approve``'s side brings a side to q."""
        required = self.required(item)
        return (rnd.approvals + int(approve) >= required) or (rnd.rejections + int(not approve) >= required)

    def preview_share(self, item: MItem, rnd: MRound) -> int:
        terms = self.terms_of(item)
        approved = item.outcome == OUT_APPROVED
        winners = rnd.approvals if approved else rnd.rejections
        losers = rnd.rejections if approved else rnd.approvals
        return losers * terms.stake // winners if winners else 0

    # ------------------------------------------------------------------ invariants

    @invariant()
    def ether_is_conserved(self) -> None:
        if not hasattr(self, "rv"):
            return
        books = tuple(int(v) for v in self.rv.call("books"))
        balance = self.balance_of(self.rv.address)
        (bonds_held,) = self.rv.call("bondsHeld")
        assert balance == sum(books) + bonds_held, f"balance {balance} != books {books} + bonds {bonds_held}"
        assert bonds_held == self.bonds_held == sum(self.bonds.values())
        for account in self.touched_accounts:
            assert self.rv.call("bondOf", account)[0] == self.bonds.get(account, 0), f"bond of {account}"
        self.touched_accounts.clear()
        assert books == (self.stakes, self.reserved, self.pool, self.deposits), (
            f"books {books} != model {(self.stakes, self.reserved, self.pool, self.deposits)}"
        )
        assert balance == self.balance

    @invariant()
    def status_moves_forward_and_outcomes_stay(self) -> None:
        if self.touched is None:
            return
        self.check_item(self.touched)
        self.touched = None

    def check_item(self, item_hash: bytes) -> None:
        item = self.items[item_hash]
        status = int(self.ds.call("getItem", item_hash)[0][3])
        outcome = int(self.rv.call("itemReview", item_hash)[0][3])
        assert status == item.status, f"status {status} != model {item.status}"
        expected = item.outcome
        if not item.opened:  # no record: the review reports the Dataset's outcome
            expected = {APPROVED: OUT_APPROVED, REJECTED: OUT_REJECTED}.get(item.status, NO_OUTCOME)
        assert outcome == expected, f"outcome {outcome} != model {expected}"
        previous = self.seen_status.get(item_hash, PENDING)
        if previous in (APPROVED, REJECTED):
            assert status == previous, f"a resolved status changed: {previous} -> {status}"
        else:
            assert status >= previous, f"status moved back: {previous} -> {status}"
        if self.seen_outcome.get(item_hash, NO_OUTCOME) != NO_OUTCOME:
            assert outcome == self.seen_outcome[item_hash], "a resolved outcome changed"
        self.seen_status[item_hash] = status
        self.seen_outcome[item_hash] = outcome

    def teardown(self) -> None:
        if hasattr(self, "rv"):
            for item_hash in self.order:
                self.check_item(item_hash)


ReviewMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
TestReviewProperties = ReviewMachine.TestCase


def test_report_operations() -> None:
    """Runs after the machine (file order); prints how much it exercised, and holds the full run to 10k."""
    print(f"\nreview property run: {COUNTERS['examples']} examples, {COUNTERS['operations']} operations")
    print("  " + ", ".join(f"{name}: {count}" for name, count in sorted(OUTCOMES.items())))
    if "SEBRUS_PROPERTY_EXAMPLES" in os.environ and "SEBRUS_PROPERTY_MIN_OPERATIONS" in os.environ:
        assert COUNTERS["operations"] >= int(os.environ["SEBRUS_PROPERTY_MIN_OPERATIONS"])

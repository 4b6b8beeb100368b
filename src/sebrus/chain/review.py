"""The review network on chain: one typed ``ReviewLedger`` over a dataset's Review contract.

It wraps a :class:`~sebrus.chain.ledger.Ledger` (sending through its
:class:`~sebrus.chain.transactor.Transactor`, so signing, nonces, serialisation and revert decoding
are shared) rather than extending it, so the review network can grow without touching the
ledger. Each dataset gets its own Review clone from the ReviewFactory; the owner grants it the
dataset's RESOLVER_ROLE, and the rules it applies are written in ``contracts/Review.sol``.

As in the ledger, input is checked before any transaction is built (``InvalidInput``: nothing was
sent), and a contract's refusal arrives as ``ContractReverted`` with the custom error's name.

Versions: a deployment made with earlier artifacts keeps its factory and clones, whose ``Terms`` lack
``finalizeDelay``. Each review's interface version is probed once (``reviewVersion()``, which version 1
lacks, so the call reverts) and the review is spoken to with its own ABI: the current artifact, or
``artifacts/legacy/Review_v1.json``. A factory's version is its implementation's.
"""

from __future__ import annotations

import secrets
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact, load_legacy_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.external import unsigned_call
from sebrus.chain.ledger import Ledger
from sebrus.chain.review_types import (
    LEGACY_REVIEW_VERSION,
    MAX_WEI,
    REVIEW_VERSION,
    Ballot,
    BallotState,
    Claim,
    Commitment,
    ItemReview,
    Outcome,
    PoolBooks,
    ReviewDeployment,
    ReviewPolicy,
    ReviewTerms,
    RoundInfo,
    RoundState,
    Tally,
)
from sebrus.chain.types import TxResult, UnsignedCall
from sebrus.chain.validation import checked_address, checked_hash
from sebrus.primitives import format_eth

ZERO_ADDRESS = "0x" + "00" * 20
VOTER_ROLE = keccak(text="VOTER_ROLE")

# Gas limits for the voter's paths, from measured use (tests/chain/test_review_ledger.py) with
# headroom; estimation would cost as much as the transaction on py-evm.
GAS_DEPOSIT = 150_000
GAS_VOTE = 350_000  # the deciding vote also settles the round and resolves the item on the dataset
GAS_COMMIT = 300_000  # may first fail an expired round
GAS_REVEAL = 350_000
GAS_FINALIZE = 300_000
GAS_CLAIM = 200_000
GAS_FUND = 80_000
GAS_WITHDRAW = 100_000
GAS_ROLE = 100_000


def commitment_hash(approve: bool, salt: bytes, voter: str) -> bytes:
    """keccak256(abi.encode(approve, salt, voter)): what ``Review.commit`` takes."""
    return keccak(abi_encode(["bool", "bytes32", "address"], [bool(approve), salt, checked_address(voter)]))


class ReviewLedger:
    """Typed reads and writes on the review network; every method names a dataset by its address."""

    def __init__(self, ledger: Ledger, deployment: ReviewDeployment | None = None) -> None:
        self.ledger = ledger
        self._tx = ledger.transactor
        self._deployment = deployment
        self._review_abi = load_artifact("Review").abi
        self._factory_abi = load_artifact("ReviewFactory").abi
        self._legacy_review_abi = load_legacy_artifact("Review", LEGACY_REVIEW_VERSION).abi
        self._legacy_factory_abi = load_legacy_artifact("ReviewFactory", LEGACY_REVIEW_VERSION).abi
        self._reviews: dict[str, str] = {}  # dataset -> review
        self._review_datasets: dict[str, str] = {}  # review -> dataset
        self._versions: dict[str, int] = {}  # review or implementation -> interface version
        ledger.register_event_source("Review", self._review_abi, self._is_review)
        ledger.register_event_source("ReviewFactory", self._factory_abi, self._is_factory)

    # ------------------------------------------------------------------ deployment

    @property
    def deployment(self) -> ReviewDeployment:
        if self._deployment is None:
            raise NotDeployed("the review contracts are not deployed on this chain; deploy them first")
        return self._deployment

    @property
    def review_abi(self) -> list[dict[str, Any]]:
        """The current Review ABI (version 3 and later speak it; see ``review_ballots``)."""
        return self._review_abi

    @property
    def is_deployed(self) -> bool:
        return self._deployment is not None

    def deploy(self, deployer: LocalAccount) -> ReviewDeployment:
        """Deploy the Review implementation and the ReviewFactory that clones it."""
        impl_address, _ = self._tx.deploy(deployer, "Review")
        factory, result = self._tx.deploy(deployer, "ReviewFactory", impl_address)
        self._deployment = ReviewDeployment(
            chain_id=self._tx.chain_id,
            factory=factory,
            implementation=impl_address,
            block_number=result.block_number,
        )
        return self._deployment

    # ------------------------------------------------------------------ a dataset's review contract

    def create_review(self, owner: LocalAccount, dataset: str, terms: ReviewTerms) -> str:
        """Create the dataset's review with ``terms`` as policy version 0 and make it the resolver."""
        address = self.ledger.require_dataset(dataset)
        terms = terms.check()
        if self.review_address(address) is not None:
            raise InvalidInput(f"dataset {address} already has a review contract")
        version = self.factory_version()
        args = (address, terms.as_tuple(version))
        result = self._tx.send(owner, self._factory(version), "createReview", args)
        created = [e for e in result.events if e.name == "ReviewCreated"]
        if not created:
            raise LedgerError(f"createReview in {result.tx_hash} emitted no ReviewCreated event")
        review = str(created[0].args["review"])
        self._remember(address, review)
        self.attach_review(owner, address)
        return review

    def attach_review(self, owner: LocalAccount, dataset: str) -> TxResult | None:
        """Grant the dataset's review RESOLVER_ROLE if it lacks it (None when it already has it)."""
        review = self.require_review(dataset)
        if self.ledger.has_role(dataset, "resolver", review):
            return None
        return self.ledger.grant_role(owner, dataset, "resolver", review)

    def review_version(self, dataset: str) -> int:
        """The interface version of the dataset's review: 1 (earlier artifacts), 2 (finalize delay
        and round expiry on chain) or 3 (also signed ballots, bonds and batches: ``review_ballots``)."""
        return self._version_of(self.require_review(dataset))

    def factory_version(self) -> int:
        """The interface version of the reviews this deployment's factory creates."""
        implementation = self.deployment.implementation
        return self._version_of(implementation)

    def review_address(self, dataset: str) -> str | None:
        address = self.ledger.require_dataset(dataset)
        if address not in self._reviews:
            found = str(self._tx.call(self._factory().functions.reviewOf(address)))
            if found == ZERO_ADDRESS:
                return None
            self._remember(address, found)
        return self._reviews[address]

    def require_review(self, dataset: str) -> str:
        review = self.review_address(dataset)
        if review is None:
            raise InvalidInput(f"dataset {dataset} has no review contract: create one first")
        return review

    def is_attached(self, dataset: str) -> bool:
        """Whether the dataset's review may settle its items (holds RESOLVER_ROLE)."""
        review = self.review_address(dataset)
        return review is not None and self.ledger.has_role(dataset, "resolver", review)

    # ------------------------------------------------------------------ owner

    def set_policy(self, owner: LocalAccount, dataset: str, terms: ReviewTerms) -> TxResult:
        """New terms for items submitted after this block; earlier items keep theirs."""
        terms = terms.check()
        review = self.require_review(dataset)
        args = (terms.as_tuple(self._version_of(review)),)
        return self._tx.send(owner, self._review(review), "setPolicy", args)

    def allow_voter(self, owner: LocalAccount, dataset: str, voter: str) -> TxResult:
        review = self.require_review(dataset)
        args = (VOTER_ROLE, checked_address(voter, "voter"))
        return self._tx.send(owner, self._review(review), "grantRole", args, gas=GAS_ROLE)

    def disallow_voter(self, owner: LocalAccount, dataset: str, voter: str) -> TxResult:
        review = self.require_review(dataset)
        args = (VOTER_ROLE, checked_address(voter, "voter"))
        return self._tx.send(owner, self._review(review), "revokeRole", args, gas=GAS_ROLE)

    def is_allowed_voter(self, dataset: str, voter: str) -> bool:
        review = self._review(self.require_review(dataset))
        return bool(self._tx.call(review.functions.hasRole(VOTER_ROLE, checked_address(voter, "voter"))))

    def fund_pool(self, funder: LocalAccount, dataset: str, amount_wei: int) -> TxResult:
        _check_wei(amount_wei, "pool funding")
        review = self.require_review(dataset)
        return self._tx.send(funder, self._review(review), "fundPool", gas=GAS_FUND, value=amount_wei)

    def withdraw_pool(
        self, owner: LocalAccount, dataset: str, amount_wei: int, to: str | None = None
    ) -> TxResult:
        """Take back unreserved pool money; refused before sending if the pool holds less."""
        _check_wei(amount_wei, "withdrawal", maximum=2**256 - 1)
        recipient = checked_address(to, "recipient") if to else owner.address
        review = self.require_review(dataset)
        available = self.books(dataset).pool_wei
        if amount_wei > available:
            raise InvalidInput(
                f"the pool holds {format_eth(available)} that may be withdrawn, not {format_eth(amount_wei)}"
            )
        args = (recipient, amount_wei)
        return self._tx.send(owner, self._review(review), "withdrawPool", args, gas=GAS_WITHDRAW)

    # ------------------------------------------------------------------ contributor

    def deposit(self, contributor: LocalAccount, dataset: str, content_hash: bytes | str) -> TxResult:
        """Pay the item's deposit (the amount its policy asks) so that review can open."""
        review = self.require_review(dataset)
        digest = checked_hash(content_hash)
        amount = self.policy_for(dataset, digest).terms.deposit_wei
        if amount == 0:
            raise InvalidInput("this item's policy asks for no deposit")
        return self._tx.send(
            contributor, self._review(review), "deposit", (digest,), gas=GAS_DEPOSIT, value=amount
        )

    def claim_deposit(self, contributor: LocalAccount, dataset: str, content_hash: bytes | str) -> TxResult:
        review = self.require_review(dataset)
        args = (checked_hash(content_hash),)
        return self._tx.send(contributor, self._review(review), "claimDeposit", args, gas=GAS_CLAIM)

    # ------------------------------------------------------------------ voter

    def vote(self, voter: LocalAccount, dataset: str, content_hash: bytes | str, approve: bool) -> TxResult:
        """A plain vote carrying the stake the item's policy asks."""
        return self._tx.send_call(voter, self.vote_call(dataset, content_hash, approve))

    def commit(
        self,
        voter: LocalAccount,
        dataset: str,
        content_hash: bytes | str,
        approve: bool,
        salt: bytes | None = None,
    ) -> Commitment:
        """Commit a hidden vote with the stake; keep the returned salt to reveal it."""
        digest = checked_hash(content_hash)
        salt = secrets.token_bytes(32) if salt is None else _checked_salt(salt)
        call = self.commit_call(voter.address, dataset, digest, approve, salt)
        result = self._tx.send_call(voter, call)
        committed = [e for e in result.events if e.name == "VoteCommitted"]
        if not committed:
            raise LedgerError(f"commit in {result.tx_hash} emitted no VoteCommitted event")
        hashed = commitment_hash(approve, salt, voter.address)
        return Commitment(digest, int(committed[0].args["round"]), bool(approve), salt, hashed, result)

    def reveal(
        self, voter: LocalAccount, dataset: str, content_hash: bytes | str, approve: bool, salt: bytes
    ) -> TxResult:
        return self._tx.send_call(voter, self.reveal_call(dataset, content_hash, approve, salt))

    def finalize(self, caller: LocalAccount, dataset: str, content_hash: bytes | str) -> TxResult:
        """Approve an x = 0 item, settle or fail a commit-reveal round after its window, or follow
        an outside resolution."""
        review = self.require_review(dataset)
        args = (checked_hash(content_hash),)
        return self._tx.send(caller, self._review(review), "finalize", args, gas=GAS_FINALIZE)

    def claim(
        self, voter: LocalAccount, dataset: str, content_hash: bytes | str, round_index: int | None = None
    ) -> Claim:
        """Collect a ballot's payout; ``round_index`` defaults to the item's current round."""
        digest = checked_hash(content_hash)
        if round_index is None:
            round_index = self.item_review(dataset, digest).round
        result = self._tx.send_call(voter, self.claim_call(dataset, digest, round_index))
        claimed = [e for e in result.events if e.name == "Claimed"]
        if not claimed:
            raise LedgerError(f"claim in {result.tx_hash} emitted no Claimed event")
        return Claim(digest, round_index, int(claimed[0].args["amount"]), result)

    # ------------------------------------------------------------------ the voter's calls, unsigned

    # For a wallet the server cannot sign for (a browser wallet): the same checks as the signed
    # methods above, the same gas limits and stake, but the call is handed back instead of sent.

    def vote_call(self, dataset: str, content_hash: bytes | str, approve: bool) -> UnsignedCall:
        review = self.require_review(dataset)
        digest = checked_hash(content_hash)
        terms = self.policy_for(dataset, digest).terms
        if terms.commit_reveal:
            raise InvalidInput("this item is reviewed by commit-reveal: commit, then reveal")
        return unsigned_call(self._review(review), "vote", (digest, bool(approve)), GAS_VOTE, terms.stake_wei)

    def commit_call(
        self, voter: str, dataset: str, content_hash: bytes | str, approve: bool, salt: bytes
    ) -> UnsignedCall:
        """``voter`` is bound into the commitment: only that address can reveal it."""
        review = self.require_review(dataset)
        digest = checked_hash(content_hash)
        hashed = commitment_hash(approve, _checked_salt(salt), checked_address(voter, "voter"))
        terms = self.policy_for(dataset, digest).terms
        if not terms.commit_reveal:
            raise InvalidInput("this item is reviewed by plain votes: vote instead")
        return unsigned_call(self._review(review), "commit", (digest, hashed), GAS_COMMIT, terms.stake_wei)

    def reveal_call(
        self, dataset: str, content_hash: bytes | str, approve: bool, salt: bytes
    ) -> UnsignedCall:
        review = self.require_review(dataset)
        args = (checked_hash(content_hash), bool(approve), _checked_salt(salt))
        return unsigned_call(self._review(review), "reveal", args, GAS_REVEAL)

    def claim_call(
        self, dataset: str, content_hash: bytes | str, round_index: int | None = None
    ) -> UnsignedCall:
        """Claim a ballot's payout; ``round_index`` defaults to the item's current round."""
        review = self.require_review(dataset)
        digest = checked_hash(content_hash)
        if round_index is None:
            round_index = self.item_review(dataset, digest).round
        _check_round(round_index)
        return unsigned_call(self._review(review), "claim", (digest, round_index), GAS_CLAIM)

    # ------------------------------------------------------------------ reads

    def books(self, dataset: str) -> PoolBooks:
        review = self.require_review(dataset)
        stakes, rewards, pool, deposits = self._tx.call(self._review(review).functions.books())
        return PoolBooks(int(stakes), int(rewards), int(pool), int(deposits), self.ledger.balance(review))

    def policy_count(self, dataset: str) -> int:
        review = self._review(self.require_review(dataset))
        return int(self._tx.call(review.functions.policyCount()))

    def policy(self, dataset: str, version: int | None = None) -> ReviewPolicy:
        """Policy ``version``; the latest when None."""
        count = self.policy_count(dataset)
        if version is None:
            version = count - 1
        if not 0 <= version < count:
            raise InvalidInput(f"policy version {version} does not exist (there are {count})")
        review = self._review(self.require_review(dataset))
        terms, effective_from = self._tx.call(review.functions.policyAt(version))
        return ReviewPolicy(version, int(effective_from), ReviewTerms.from_tuple(tuple(terms)))

    def policy_for(self, dataset: str, content_hash: bytes | str) -> ReviewPolicy:
        """The policy version that judges this item (the one in force when it was submitted)."""
        review = self._review(self.require_review(dataset))
        version, _ = self._tx.call(review.functions.policyFor(checked_hash(content_hash)))
        return self.policy(dataset, int(version))

    def votes_required(self, dataset: str, content_hash: bytes | str) -> int:
        review = self._review(self.require_review(dataset))
        return int(self._tx.call(review.functions.votesRequired(checked_hash(content_hash))))

    def item_review(self, dataset: str, content_hash: bytes | str) -> ItemReview:
        review = self._review(self.require_review(dataset))
        digest = checked_hash(content_hash)
        raw = self._tx.call(review.functions.itemReview(digest))
        opened, version, round_index, outcome, paid, settled, amount = raw
        return ItemReview(
            digest,
            int(version) if opened else None,
            int(round_index),
            Outcome(outcome),
            bool(paid),
            bool(settled),
            int(amount),
        )

    def round_info(self, dataset: str, content_hash: bytes | str, round_index: int) -> RoundInfo:
        _check_round(round_index)
        review = self._review(self.require_review(dataset))
        raw = self._tx.call(review.functions.roundInfo(checked_hash(content_hash), round_index))
        state, settled, commits, reveals, commit_ends, reveal_ends = raw
        return RoundInfo(
            RoundState(state), bool(settled), int(commits), int(reveals), int(commit_ends), int(reveal_ends)
        )

    def tally(self, dataset: str, content_hash: bytes | str, round_index: int) -> Tally | None:
        """The round's counted votes once its payouts are fixed; None while it can still change."""
        _check_round(round_index)
        digest = checked_hash(content_hash)
        if not self.round_info(dataset, digest, round_index).settled:
            return None
        review = self._review(self.require_review(dataset))
        approvals, rejections, share = self._tx.call(review.functions.tally(digest, round_index))
        return Tally(int(approvals), int(rejections), int(share))

    def ballot(self, dataset: str, content_hash: bytes | str, round_index: int, voter: str) -> Ballot:
        _check_round(round_index)
        review = self._review(self.require_review(dataset))
        call = review.functions.ballotOf(
            checked_hash(content_hash), round_index, checked_address(voter, "voter")
        )
        state, claimed, hashed = self._tx.call(call)
        return Ballot(BallotState(state), bool(claimed), bytes(hashed))

    def claimable(self, dataset: str, content_hash: bytes | str, round_index: int, voter: str) -> int:
        """Wei ``voter`` could claim for the round now (0 when nothing, or not yet)."""
        _check_round(round_index)
        review = self._review(self.require_review(dataset))
        call = review.functions.claimable(
            checked_hash(content_hash), round_index, checked_address(voter, "voter")
        )
        return int(self._tx.call(call))

    # ------------------------------------------------------------------ plumbing

    def _factory(self, version: int = REVIEW_VERSION) -> Contract:
        """The factory; its reads are the same in every version, ``createReview`` takes its own Terms."""
        abi = self._legacy_factory_abi if version == LEGACY_REVIEW_VERSION else self._factory_abi
        return self._tx.contract(self.deployment.factory, abi)

    def _review(self, address: str) -> Contract:
        """The review contract with the ABI of its own interface version."""
        legacy = self._version_of(address) == LEGACY_REVIEW_VERSION
        return self._tx.contract(address, self._legacy_review_abi if legacy else self._review_abi)

    def _version_of(self, address: str) -> int:
        """Probe ``reviewVersion()`` once per contract: version 1 lacks it, so the call reverts."""
        if address not in self._versions:
            probe = self._tx.contract(address, self._review_abi).functions.reviewVersion()
            try:
                self._versions[address] = int(self._tx.call(probe))
            except ContractReverted:
                self._versions[address] = LEGACY_REVIEW_VERSION
        return self._versions[address]

    def _remember(self, dataset: str, review: str) -> None:
        self._reviews[dataset] = review
        self._review_datasets[review] = dataset

    def _is_review(self, address: str) -> bool:
        """Whether ``address`` is a review made by our factory (asked by the ledger's event decoder)."""
        if address in self._review_datasets:
            return True
        if self._deployment is None:
            return False
        dataset = str(self._tx.call(self._factory().functions.datasetOf(address)))
        if dataset == ZERO_ADDRESS:
            return False
        self._remember(dataset, address)
        return True

    def _is_factory(self, address: str) -> bool:
        return self._deployment is not None and address == self._deployment.factory


def _check_wei(amount: int, what: str, *, maximum: int = MAX_WEI) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"{what} must be a whole number of wei, got {amount!r}")
    if not 0 < amount <= maximum:
        raise InvalidInput(f"{what} must be a positive amount of wei, got {amount}")


def _check_round(round_index: int) -> None:
    if isinstance(round_index, bool) or not isinstance(round_index, int) or not 0 <= round_index < 2**32:
        raise InvalidInput(f"round must be a whole number from 0, got {round_index!r}")


def _checked_salt(salt: bytes) -> bytes:
    if not isinstance(salt, bytes | bytearray) or len(salt) != 32:
        raise InvalidInput("a commit-reveal salt is 32 bytes")
    return bytes(salt)

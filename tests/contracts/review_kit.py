"""Helpers for the Review contract tests: the factory on the in-memory chain, terms, commitments.

Like ``contract_kit`` it drives the compiled artifacts directly, never ``sebrus.chain``.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from typing import Any

from contract_kit import Chain, ErrorDecoder, events, load_artifact
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

RESOLVER_ROLE = keccak(text="RESOLVER_ROLE")
VOTER_ROLE = keccak(text="VOTER_ROLE")
ETHER = 10**18

# Review.RoundState, Review.BallotState and Review.Outcome as the contract numbers them.
OPEN, RESOLVED, FAILED, ABORTED = range(4)
NO_BALLOT, COMMITTED, APPROVE, REJECT = range(4)
NO_OUTCOME, OUTCOME_APPROVED, OUTCOME_REJECTED = range(3)


@dataclass(frozen=True)
class Terms:
    """Review.Terms, in the struct's field order."""

    quorum: int = 2
    open_voting: bool = True
    commit_reveal: bool = False
    commit_window: int = 0
    reveal_window: int = 0
    stake: int = ETHER // 10
    reward: int = ETHER // 100
    deposit: int = 0

    def tuple(self) -> tuple[Any, ...]:
        return astuple(self)

    def but(self, **changes: Any) -> Terms:
        return replace(self, **changes)


def commitment(approve: bool, salt: bytes, voter: str) -> bytes:
    """keccak256(abi.encode(approve, salt, voter)), the hash Review.commit takes."""
    return keccak(encode(["bool", "bytes32", "address"], [approve, salt, to_checksum_address(voter)]))


def salt_for(voter: str, tag: object = "") -> bytes:
    return keccak(text=f"salt {voter} {tag}")


class ReviewChain(Chain):
    """The contract kit's chain plus the Review implementation and the ReviewFactory."""

    def __init__(self) -> None:
        super().__init__()
        self.review_artifact = load_artifact("Review")
        self.factory_artifact = load_artifact("ReviewFactory")
        self.errors = ErrorDecoder(
            [
                self.dataset_artifact["abi"],
                self.manager_artifact["abi"],
                self.review_artifact["abi"],
                self.factory_artifact["abi"],
            ]
        )
        self.review_implementation = self.deploy(self.review_artifact)
        self.factory = self.deploy(self.factory_artifact, self.review_implementation.address)

    def review_at(self, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self.review_artifact["abi"])

    def create_review(self, dataset: Contract, owner: str, terms: Terms, *, grant: bool = True) -> Contract:
        receipt = self.send(self.factory.functions.createReview(dataset.address, terms.tuple()), owner)
        (event,) = events(self.factory, "ReviewCreated", receipt)
        review = self.review_at(event["args"]["review"])
        if grant:
            self.send(dataset.functions.grantRole(RESOLVER_ROLE, review.address), owner)
        return review

    def balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def advance(self, seconds: int) -> None:
        self.advance_time_to(self.latest_timestamp() + seconds)

    def pay(self, fn: Any, sender: str, value: int) -> Any:
        """Mine a payable call; a revert fails with the decoded custom error."""
        tx = fn.transact({"from": sender, "gas": 2_000_000, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        if receipt["status"] != 1:
            self.expect_paid_revert(fn, sender, value, "<success>")
        return receipt

    def expect_paid_revert(self, fn: Any, sender: str, value: int, error: str, *args: Any) -> None:
        """Like Chain.expect_revert for a payable call carrying ``value``; mines the failing tx too."""
        from contract_kit import _normalise, revert_data

        try:
            result = fn.call({"from": sender, "gas": 2_000_000, "value": value})
        except Exception as exc:
            decoded = self.errors.decode(revert_data(exc))
        else:
            raise AssertionError(f"expected revert {error}{args}, call returned {result!r}")
        assert decoded.name == error, f"expected {error}{args}, got {decoded.name}{decoded.args}"
        if args:
            assert decoded.args == tuple(_normalise(a) for a in args), (
                f"{error}: expected args {args}, got {decoded.args}"
            )
        tx = fn.transact({"from": sender, "gas": 2_000_000, "value": value})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0


def accounts_of(review: Contract) -> tuple[int, int, int, int]:
    """(stakesHeld, rewardsReserved, pool, depositsHeld)."""
    f = review.functions
    return (
        int(f.stakesHeld().call()),
        int(f.rewardsReserved().call()),
        int(f.pool().call()),
        int(f.depositsHeld().call()),
    )

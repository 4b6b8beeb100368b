"""Helpers for the Review contract tests: the factory on the in-memory chain, terms, commitments.

Like ``tests.support.contracts`` it drives the compiled artifacts directly, never ``sebrus.chain``.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from tests.support.contracts import Chain, ErrorDecoder, events, load_artifact

RESOLVER_ROLE = keccak(text="RESOLVER_ROLE")
VOTER_ROLE = keccak(text="VOTER_ROLE")
ETHER = 10**18

# Review.RoundState, Review.BallotState and Review.Outcome as the contract numbers them.
OPEN, RESOLVED, FAILED, ABORTED, EXPIRED = range(5)
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
    finalize_delay: int = 0

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
        from tests.support.contracts import _normalise, revert_data

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


class FastContract:
    """Calls and transactions straight through eth-tester, for the long property runs.

    web3's contract layer recomputes selectors and formats every request, which costs more than
    py-evm's own work on short calls; this encodes with precomputed selectors instead.
    """

    def __init__(self, chain: Chain, address: str, abi: list[dict[str, Any]]) -> None:
        from tests.support.contracts import _abi_type

        self.chain = chain
        self.address = to_checksum_address(address)
        self.tester = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        self._functions: dict[str, tuple[bytes, list[str], list[str]]] = {}
        for entry in abi:
            if entry["type"] == "function":
                inputs = [_abi_type(i) for i in entry["inputs"]]
                outputs = [_abi_type(o) for o in entry["outputs"]]
                selector = keccak(text=f"{entry['name']}({','.join(inputs)})")[:4]
                self._functions[entry["name"]] = (selector, inputs, outputs)

    def data(self, name: str, *args: Any) -> str:
        selector, inputs, _ = self._functions[name]
        return "0x" + (selector + encode(inputs, list(args))).hex()

    def call(self, name: str, *args: Any) -> tuple[Any, ...]:
        from eth_abi import decode

        raw = self.tester.call(
            {"from": self.chain.deployer, "to": self.address, "data": self.data(name, *args)}
        )
        return tuple(decode(self._functions[name][2], bytes.fromhex(raw[2:])))

    def send(
        self, sender: str, name: str, *args: Any, value: int = 0, gas: int = 1_000_000
    ) -> dict[str, Any]:
        """Mine the call whatever happens; the eth-tester receipt's status says whether it reverted."""
        tx = {
            "from": sender,
            "to": self.address,
            "data": self.data(name, *args),
            "value": value,
            "gas": gas,
            "max_fee_per_gas": 10**10,
            "max_priority_fee_per_gas": 10**9,
        }
        return dict(self.tester.get_transaction_receipt(self.tester.send_transaction(tx)))


def raw_events(
    receipt: dict[str, Any], address: str, signature: str, types: list[str]
) -> list[tuple[Any, ...]]:
    """Non-indexed arguments of ``signature`` events that ``address`` emitted, from an eth-tester receipt."""
    from eth_abi import decode

    topic = "0x" + keccak(text=signature).hex()
    found = []
    for log in receipt["logs"]:
        if log["address"].lower() == address.lower() and log["topics"] and log["topics"][0] == topic:
            found.append(tuple(decode(types, bytes.fromhex(log["data"][2:]))))
    return found

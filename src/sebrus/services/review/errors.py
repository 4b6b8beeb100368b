"""The Review contract's refusals as service errors a person can act on.

Every custom error of ``contracts/Review.sol`` (and of the previous release's Review) maps to a 4xx
class (403: not yours to do, 409: not now / already done, 400: wrong input) and a sentence that says
what happened and what to do. The sentence is the message a person reads; the error's name travels
beside it as the refusal's ``code`` (the API answer's ``error``) so that scripts can branch on it. A
person never reads the bare name: ``tests/services/review/test_refusal_sentences.py`` walks the ABIs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied, ServiceError
from sebrus.services.review.chain_link import ChainUnavailable
from sebrus.services.review.finalize_guard import too_early

_REFUSALS: dict[str, tuple[type[ServiceError], str]] = {
    "AlreadyVoted": (Conflict, "You have already voted on this item in this round."),
    "AlreadyResolved": (Conflict, "This item is already resolved; it takes no more votes."),
    "NoVoteNeeded": (Conflict, "This item needs no votes (x = 0): finalize it instead."),
    "OwnContribution": (PermissionDenied, "You cannot review your own contribution."),
    "NotAllowedVoter": (
        PermissionDenied,
        "This dataset's reviewers are allow-listed and your wallet is not on the list; ask its owner.",
    ),
    "WrongStake": (InvalidInput, "The vote carried the wrong stake for this item's policy."),
    "DepositRequired": (
        Conflict,
        "The contributor has not paid this item's deposit yet; review opens after.",
    ),
    "CommitRevealRequired": (InvalidInput, "This item is reviewed by commit-reveal: commit, then reveal."),
    "CommitRevealOff": (InvalidInput, "This item is reviewed by plain votes: vote instead of committing."),
    "CommitClosed": (Conflict, "The commit phase of this round is over; reveal, or wait for the next round."),
    "NoBallot": (Conflict, "You have no vote on this item in this round."),
    "AlreadyRevealed": (Conflict, "Your vote on this item is already revealed."),
    "RevealNotOpen": (Conflict, "Reveals have not opened yet: the commit phase is still running."),
    "RevealClosed": (Conflict, "The reveal window has closed; an unrevealed stake is forfeited."),
    "CommitmentMismatch": (InvalidInput, "The side and salt do not match your commitment."),
    "RoundStillOpen": (Conflict, "The round is still open; claim once the item is decided."),
    "RoundNotSettled": (Conflict, "Payouts are fixed when the reveal window closes; claim after that."),
    "NotAWinner": (PermissionDenied, "Your vote was on the losing side; losing stakes are slashed."),
    "StakeForfeited": (PermissionDenied, "Your vote was never revealed, so its stake was forfeited."),
    "AlreadyClaimed": (Conflict, "You have already claimed this payout."),
    "InsufficientPool": (
        Conflict,
        "The reward pool cannot cover this vote's reward; the dataset's owner must fund the pool.",
    ),
    "NothingToFinalize": (Conflict, "There is nothing to finalize on this item now."),
    "FinalizeDelayTooLong": (InvalidInput, "The finalize delay (finalize_delay) must be at most 30 days."),
    "AccessControlUnauthorizedAccount": (PermissionDenied, "Only the dataset's owner may do that."),
    "QuorumTooLarge": (InvalidInput, "The number of votes to decide (x) must be at most 100."),
    "OpenVotingNeedsStake": (InvalidInput, "Open voting needs a positive stake."),
    "InvalidWindow": (
        InvalidInput,
        "Commit and reveal windows must be 1 s to 30 days, and only with commit-reveal.",
    ),
    "ZeroAmount": (InvalidInput, "The amount must be positive."),
    "EmptyBatch": (InvalidInput, "A batch must hold at least one entry."),
    "BatchTooLarge": (InvalidInput, "A batch may hold at most 256 entries; split it."),
    "WrongDepositTotal": (InvalidInput, "The payment is not the sum of the batch's deposits."),
    "InsufficientBond": (Conflict, "Your bond holds less than that; withdraw at most what it holds."),
    "NoDepositRequired": (Conflict, "This item's policy asks for no deposit."),
    "DepositAlreadyPaid": (Conflict, "This item's deposit is already paid."),
    "WrongDeposit": (InvalidInput, "The deposit sent is not the amount the policy asks."),
    "NotContributor": (PermissionDenied, "Only the item's contributor may do that."),
    "DepositNotRefundable": (Conflict, "The deposit is refundable only once the item is approved."),
    "FinalizeTooEarly": (Conflict, "This item cannot be finalized yet; try again after its grace period."),
    "TallyNotFinal": (
        Conflict,
        "That round's reveals are not counted yet; claim once its reveal window has closed.",
    ),
    "ZeroCommitment": (InvalidInput, "A commitment cannot be empty; commit again through the server."),
    "UnknownPolicy": (InvalidInput, "That policy version does not exist on this dataset."),
    "ZeroAddress": (InvalidInput, "A wallet address is missing (it cannot be the zero address)."),
    "TransferFailed": (
        Conflict,
        "The payment could not be delivered to the receiving wallet; claim to a wallet that accepts ETH.",
    ),
    "InsufficientBalance": (Conflict, "The review contract does not hold enough ETH for this payment."),
    "FailedCall": (Conflict, "A call the review contract made failed; nothing was changed."),
    "AccessControlBadConfirmation": (
        PermissionDenied,
        "Only the holder of a role may renounce it, for their own address.",
    ),
    "InvalidInitialization": (Conflict, "This review contract is already set up."),
    "NotInitializing": (Conflict, "This review contract can be set up only while it is being created."),
    "ReentrancyGuardReentrantCall": (
        Conflict,
        "The review contract refused a call made from inside another of its calls.",
    ),
}


def sentence_for(error: str) -> str | None:
    """The sentence a person reads for the contract error ``error`` (None: not a Review error)."""
    known = _REFUSALS.get(error)
    return known[1] if known is not None else None


def refusal(exc: ContractReverted) -> ServiceError:
    if exc.error == "FinalizeTooEarly":  # a review since v2 refused on chain: say when, like the guard
        digest = exc.arguments.get("contentHash")
        name = digest.hex() if isinstance(digest, bytes) else "the item"
        return too_early(name, int(exc.arguments["notBefore"]), int(time.time()))
    kind, message = _REFUSALS.get(exc.error, (Conflict, "The review contract refused the request."))
    return kind(message, code=exc.error)


@contextmanager
def chain_refusals(action: str) -> Iterator[None]:
    """Turn the ledger's failures inside into service errors naming the problem."""
    try:
        yield
    except ContractReverted as exc:
        raise refusal(exc) from exc
    except LedgerInvalidInput as exc:
        raise InvalidInput(f"Cannot {action}: {exc}") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Cannot {action}: the chain failed ({exc}).") from exc

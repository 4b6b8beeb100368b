// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Dataset} from "./Dataset.sol";
import {IReview} from "./review/IReview.sol";
import {ReviewPolicy} from "./review/ReviewPolicy.sol";
import {ReviewTreasury} from "./review/ReviewTreasury.sol";

/// @title SeBRUS Review
/// @notice Staked voting on one dataset's items: reviewers stake ETH on "the label is right" (approve)
///         or "it is wrong or poisoned" (reject); the winning side is paid, the losing side slashed,
///         and the item is settled on its {Dataset} through the dataset's RESOLVER_ROLE.
/// @dev The voting core. Its parts: {IReview} (types, events, errors, the external surface),
///      {ReviewPolicy} (versioned terms), {ReviewTreasury} (pool, stakes, deposits, pull payments).
///
///      One Review per dataset, an EIP-1167 clone made by {ReviewFactory} and granted RESOLVER_ROLE by
///      the dataset's owner. Why a clone per dataset rather than one shared contract:
///        - every dataset's money (stakes, pool, deposits) sits in its own contract, so the accounting
///          identity (see {ReviewTreasury}) holds per dataset and a fault in one dataset's review cannot
///          reach another's;
///        - RESOLVER_ROLE on a dataset then names exactly the code and the owner that judge it;
///        - nothing already deployed changes: datasets gain a resolver the way they were designed to.
///      A clone costs one cheap deployment per dataset; a shared contract would save that, at the
///      price of mixing every dataset's funds in one balance.
///
///      RESOLUTION RULE. Let x be the item's quorum and q the votes one side needs:
///        q = x          while the item is Pending,
///        q = max(x, 1)  while it is Quarantined (a detector flag always needs a human vote).
///        - q = 0 (x = 0, not quarantined): nobody votes; {finalize} approves the item (after the
///          contributor's deposit, if the policy asks for one).
///        - Plain voting: a vote counts when cast. The item resolves Approved at the vote that brings
///          approvals to q while rejections are below q, and Rejected at the vote that brings rejections
///          to q while approvals are below q. So at most 2q - 1 votes are cast and the first side to
///          reach q wins.
///        - Commit-reveal: a round opens at its first commit and takes commits for `commitWindow`
///          seconds or until 2q - 1 commits are in, whichever comes first; reveals are taken from then
///          for `revealWindow` seconds. A vote counts when revealed, and the item resolves at the reveal
///          that brings one side to q (only one side can, as at most 2q - 1 votes were committed). If the
///          reveal window closes with neither side at q, the round fails: revealed stakes are refunded,
///          unrevealed stakes are forfeited to the pool, and the next commit opens a new round.
///        - If someone other than this contract resolves the item on the Dataset, {finalize} records
///          that outcome and refunds every stake of the open round.
///        - q = 0 items wait: {finalize} approves one only `finalizeDelay` seconds (a policy term) after
///          it was anchored, so that a detector can still quarantine it; `finalize` is permissionless.
///        - STALLS. The Dataset's owner can revoke this review's RESOLVER_ROLE, after which the deciding
///          vote cannot resolve the item and reverts. So that voters' stakes cannot be frozen that way,
///          a plain round open for {STALL_TIMEOUT} while the role is missing expires through {finalize}:
///          each ballot claims its stake back (pull, no loop over voters), the round's reserved
///          rewards return to the pool, and the next vote opens a new round. Commit-reveal rounds need
///          no such path: an undecided round fails when its reveal window closes.
///      Payouts and the accounting identity are described in {ReviewTreasury}, policy versions in
///      {ReviewPolicy}.
contract Review is ReviewPolicy, ReviewTreasury, Initializable {
    /// @inheritdoc IReview
    bytes32 public constant VOTER_ROLE = keccak256("VOTER_ROLE");
    /// @inheritdoc IReview
    uint32 public constant STALL_TIMEOUT = 14 days;
    /// @dev See {reviewVersion}: 2 added `Terms.finalizeDelay`, round expiry and {reviewVersion} itself.
    uint16 private constant VERSION = 2;

    /// @dev One round of votes on an item.
    struct Round {
        uint32 commits; // ballots cast (a plain vote is a commit revealed at once)
        uint32 reveals;
        uint32 approvals;
        uint32 rejections;
        uint64 commitEnds; // commit-reveal: end of the commit phase
        uint32 openedAt; // block time of the round's first ballot (the stall timeout counts from it)
        RoundState state;
        bool settled;
        uint128 share; // each winner's part of the losing stakes, fixed at settlement
    }

    /// @inheritdoc IReview
    Dataset public dataset;

    mapping(bytes32 contentHash => ItemReview) private _items;
    mapping(bytes32 contentHash => mapping(uint32 round => Round)) private _rounds;
    mapping(bytes32 contentHash => mapping(uint32 round => mapping(address voter => Ballot))) private _ballots;

    /// @dev The implementation itself is never initialised; only clones are.
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IReview
    function initialize(Dataset dataset_, address owner_, Terms calldata terms) external initializer {
        if (address(dataset_) == address(0) || owner_ == address(0)) revert ZeroAddress();
        dataset = dataset_;
        _grantRole(DEFAULT_ADMIN_ROLE, owner_);
        emit ReviewInitialized(address(dataset_), owner_);
        _pushPolicy(terms, 0);
    }

    // ---------------------------------------------------------------- contributor

    /// @inheritdoc IReview
    function deposit(bytes32 contentHash) external payable {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (ItemReview storage review, Terms memory terms) = _open(contentHash, item.submittedAt);
        if (review.outcome != Outcome.None || !_isOpen(item.status)) revert AlreadyResolved(contentHash);
        if (msg.sender != item.contributor) revert NotContributor(contentHash, msg.sender);
        if (terms.deposit == 0) revert NoDepositRequired(contentHash);
        if (review.depositPaid) revert DepositAlreadyPaid(contentHash);
        if (msg.value != terms.deposit) revert WrongDeposit(msg.value, terms.deposit);
        _holdDeposit(contentHash, review, terms.deposit);
    }

    /// @inheritdoc IReview
    function claimDeposit(bytes32 contentHash) external nonReentrant {
        ItemReview storage review = _items[contentHash];
        if (review.outcome != Outcome.Approved || !review.depositPaid) revert DepositNotRefundable(contentHash);
        address contributor = dataset.getItem(contentHash).contributor;
        if (msg.sender != contributor) revert NotContributor(contentHash, msg.sender);
        if (review.depositSettled) revert AlreadyClaimed(contentHash, review.round, msg.sender);
        _refundDeposit(contentHash, review, contributor);
    }

    // ---------------------------------------------------------------- voting

    /// @inheritdoc IReview
    function vote(bytes32 contentHash, bool approve) external payable {
        (ItemReview storage review, Terms memory terms, uint256 required) = _admitVoter(contentHash);
        if (terms.commitReveal) revert CommitRevealRequired(contentHash);
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        Ballot storage ballot = _ballots[contentHash][index][msg.sender];
        if (ballot.state != BallotState.None) revert AlreadyVoted(contentHash, index, msg.sender);
        _reserve(terms);
        if (round.commits == 0) round.openedAt = uint32(block.timestamp);
        ballot.state = approve ? BallotState.Approve : BallotState.Reject;
        round.commits += 1;
        round.reveals += 1;
        _count(round, approve);
        emit VoteCast(contentHash, index, msg.sender, approve, msg.value);
        _resolveIfDecided(contentHash, review, index, round, terms, required);
    }

    /// @inheritdoc IReview
    function commit(bytes32 contentHash, bytes32 commitment) external payable {
        (ItemReview storage review, Terms memory terms, uint256 required) = _admitVoter(contentHash);
        if (!terms.commitReveal) revert CommitRevealOff(contentHash);
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        if (round.commits > 0 && block.timestamp >= uint256(round.commitEnds) + terms.revealWindow) {
            // The last round ran out undecided; close it and open the next one with this commit.
            _failRound(contentHash, review, index, round, terms);
            index = review.round;
            round = _rounds[contentHash][index];
        }
        if (round.commits == 0) {
            round.commitEnds = uint64(block.timestamp) + terms.commitWindow;
            round.openedAt = uint32(block.timestamp);
        }
        uint256 cap = 2 * required - 1;
        if (block.timestamp >= round.commitEnds || round.commits >= cap) revert CommitClosed(contentHash, index);
        Ballot storage ballot = _ballots[contentHash][index][msg.sender];
        if (ballot.state != BallotState.None) revert AlreadyVoted(contentHash, index, msg.sender);
        _reserve(terms);
        ballot.state = BallotState.Committed;
        ballot.commitment = commitment;
        round.commits += 1;
        emit VoteCommitted(contentHash, index, msg.sender, commitment, msg.value);
        if (round.commits == cap) {
            round.commitEnds = uint64(block.timestamp);
            emit CommitPhaseClosed(contentHash, index, uint64(block.timestamp) + terms.revealWindow);
        }
    }

    /// @inheritdoc IReview
    function reveal(bytes32 contentHash, bool approve, bytes32 salt) external {
        ItemReview storage review = _items[contentHash];
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        Ballot storage ballot = _ballots[contentHash][index][msg.sender];
        if (ballot.state == BallotState.None) revert NoBallot(contentHash, index, msg.sender);
        if (ballot.state != BallotState.Committed) revert AlreadyRevealed(contentHash, index, msg.sender);
        Terms memory terms = _terms(review.policyVersion);
        if (round.state == RoundState.Aborted) revert AlreadyResolved(contentHash);
        if (block.timestamp < round.commitEnds) revert RevealNotOpen(contentHash, round.commitEnds);
        uint64 revealEnds = round.commitEnds + terms.revealWindow;
        if (block.timestamp >= revealEnds || round.settled) revert RevealClosed(contentHash, revealEnds);
        if (keccak256(abi.encode(approve, salt, msg.sender)) != ballot.commitment) {
            revert CommitmentMismatch(contentHash, msg.sender);
        }
        uint256 required = 0; // only read while the round is open
        if (round.state == RoundState.Open) {
            Dataset.Status status = dataset.getItem(contentHash).status;
            // Resolved elsewhere mid-round: finalize() must abort the round and refund it.
            if (!_isOpen(status)) revert AlreadyResolved(contentHash);
            required = _required(terms.quorum, status);
        }
        ballot.state = approve ? BallotState.Approve : BallotState.Reject;
        round.reveals += 1;
        _count(round, approve);
        emit VoteRevealed(contentHash, index, msg.sender, approve);
        if (round.state == RoundState.Open) {
            _resolveIfDecided(contentHash, review, index, round, terms, required);
        } else if (round.reveals == round.commits) {
            _settle(contentHash, review, index, round, terms);
        }
    }

    /// @inheritdoc IReview
    function finalize(bytes32 contentHash) external {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (ItemReview storage review, Terms memory terms) = _open(contentHash, item.submittedAt);
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        if (review.outcome == Outcome.None) {
            if (!_isOpen(item.status)) {
                _abort(contentHash, review, index, round, terms, item.status);
            } else if (_required(terms.quorum, item.status) == 0) {
                uint64 notBefore = item.submittedAt + terms.finalizeDelay;
                if (block.timestamp < notBefore) revert FinalizeTooEarly(contentHash, notBefore);
                if (terms.deposit > 0 && !review.depositPaid) revert DepositRequired(contentHash, terms.deposit);
                _resolve(contentHash, review, index, round, terms, true);
            } else if (
                terms.commitReveal && round.commits > 0
                    && block.timestamp >= uint256(round.commitEnds) + terms.revealWindow
            ) {
                _failRound(contentHash, review, index, round, terms);
            } else if (_stalled(round, terms)) {
                _expireRound(contentHash, review, index, round, terms);
            } else {
                revert NothingToFinalize(contentHash);
            }
        } else if (round.state == RoundState.Resolved && !round.settled && _settleable(round, terms)) {
            _settle(contentHash, review, index, round, terms);
        } else {
            revert NothingToFinalize(contentHash);
        }
    }

    /// @inheritdoc IReview
    function claim(bytes32 contentHash, uint32 roundIndex) external nonReentrant {
        Round storage round = _rounds[contentHash][roundIndex];
        Ballot storage ballot = _ballots[contentHash][roundIndex][msg.sender];
        if (ballot.state == BallotState.None) revert NoBallot(contentHash, roundIndex, msg.sender);
        if (ballot.claimed) revert AlreadyClaimed(contentHash, roundIndex, msg.sender);
        if (round.state == RoundState.Open) revert RoundStillOpen(contentHash, roundIndex);
        ItemReview storage review = _items[contentHash];
        Terms memory terms = _terms(review.policyVersion);
        if (round.state == RoundState.Resolved && !round.settled) {
            if (!_settleable(round, terms)) {
                revert RoundNotSettled(contentHash, roundIndex, round.commitEnds + terms.revealWindow);
            }
            _settle(contentHash, review, roundIndex, round, terms);
        }
        uint256 stakePart = terms.stake;
        uint256 rewardPart = 0;
        if (round.state == RoundState.Resolved) {
            if (ballot.state == BallotState.Committed) revert StakeForfeited(contentHash, roundIndex, msg.sender);
            BallotState winning = review.outcome == Outcome.Approved ? BallotState.Approve : BallotState.Reject;
            if (ballot.state != winning) revert NotAWinner(contentHash, roundIndex, msg.sender);
            stakePart += round.share;
            rewardPart = terms.reward;
        } else if (round.state == RoundState.Failed && ballot.state == BallotState.Committed) {
            revert StakeForfeited(contentHash, roundIndex, msg.sender);
        }
        ballot.claimed = true;
        _payClaim(contentHash, roundIndex, stakePart, rewardPart);
    }

    // ---------------------------------------------------------------- reads

    /// @inheritdoc IReview
    function reviewVersion() external pure returns (uint16) {
        return VERSION;
    }

    /// @inheritdoc IReview
    function policyFor(bytes32 contentHash) external view returns (uint32 version, Terms memory terms) {
        ItemReview storage review = _items[contentHash];
        version = review.opened ? review.policyVersion : policyVersionAt(dataset.getItem(contentHash).submittedAt);
        terms = _terms(version);
    }

    /// @inheritdoc IReview
    function votesRequired(bytes32 contentHash) external view returns (uint256) {
        Dataset.Item memory item = dataset.getItem(contentHash);
        ItemReview storage review = _items[contentHash];
        uint32 version = review.opened ? review.policyVersion : policyVersionAt(item.submittedAt);
        return _required(_terms(version).quorum, item.status);
    }

    /// @inheritdoc IReview
    function itemReview(bytes32 contentHash) external view returns (ItemReview memory) {
        return _items[contentHash];
    }

    /// @inheritdoc IReview
    function roundInfo(bytes32 contentHash, uint32 roundIndex) external view returns (RoundInfo memory info) {
        Round storage round = _rounds[contentHash][roundIndex];
        Terms memory terms = _terms(_items[contentHash].policyVersion);
        info = RoundInfo({
            state: round.state,
            settled: round.settled,
            commits: round.commits,
            reveals: round.reveals,
            commitEnds: round.commitEnds,
            revealEnds: terms.commitReveal && round.commits > 0 ? round.commitEnds + terms.revealWindow : 0
        });
    }

    /// @inheritdoc IReview
    function tally(bytes32 contentHash, uint32 roundIndex)
        external
        view
        returns (uint32 approvals, uint32 rejections, uint256 share)
    {
        Round storage round = _rounds[contentHash][roundIndex];
        if (!round.settled) revert TallyNotFinal(contentHash, roundIndex);
        return (round.approvals, round.rejections, round.share);
    }

    /// @inheritdoc IReview
    function ballotOf(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (Ballot memory) {
        return _ballots[contentHash][roundIndex][voter];
    }

    /// @inheritdoc IReview
    function claimable(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (uint256) {
        Round storage round = _rounds[contentHash][roundIndex];
        Ballot storage ballot = _ballots[contentHash][roundIndex][voter];
        if (ballot.state == BallotState.None || ballot.claimed || round.state == RoundState.Open) return 0;
        ItemReview storage review = _items[contentHash];
        Terms memory terms = _terms(review.policyVersion);
        if (round.state == RoundState.Aborted || round.state == RoundState.Expired) return terms.stake;
        if (ballot.state == BallotState.Committed) return 0;
        if (round.state == RoundState.Failed) return terms.stake;
        BallotState winning = review.outcome == Outcome.Approved ? BallotState.Approve : BallotState.Reject;
        if (ballot.state != winning) return 0;
        uint256 share = round.share;
        if (!round.settled) {
            if (!_settleable(round, terms)) return 0;
            (share,,) = _split(round, terms, review.outcome == Outcome.Approved);
        }
        return terms.stake + terms.reward + share;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The item's record, with its policy version fixed on first touch.
    function _open(bytes32 contentHash, uint64 submittedAt)
        private
        returns (ItemReview storage review, Terms memory terms)
    {
        review = _items[contentHash];
        if (!review.opened) {
            review.opened = true;
            review.policyVersion = policyVersionAt(submittedAt);
            emit ItemOpened(contentHash, review.policyVersion);
        }
        terms = _terms(review.policyVersion);
    }

    /// @dev Every check a vote or commit shares; reverts before any effect.
    function _admitVoter(bytes32 contentHash)
        private
        returns (ItemReview storage review, Terms memory terms, uint256 required)
    {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (review, terms) = _open(contentHash, item.submittedAt);
        if (review.outcome != Outcome.None || !_isOpen(item.status)) revert AlreadyResolved(contentHash);
        required = _required(terms.quorum, item.status);
        if (required == 0) revert NoVoteNeeded(contentHash);
        if (msg.sender == item.contributor) revert OwnContribution(contentHash, msg.sender);
        if (!terms.openVoting && !hasRole(VOTER_ROLE, msg.sender)) revert NotAllowedVoter(msg.sender);
        if (terms.deposit > 0 && !review.depositPaid) revert DepositRequired(contentHash, terms.deposit);
        if (msg.value != terms.stake) revert WrongStake(msg.value, terms.stake);
    }

    function _count(Round storage round, bool approve) private {
        if (approve) round.approvals += 1;
        else round.rejections += 1;
    }

    function _resolveIfDecided(
        bytes32 contentHash,
        ItemReview storage review,
        uint32 index,
        Round storage round,
        Terms memory terms,
        uint256 required
    ) private {
        if (round.approvals >= required) _resolve(contentHash, review, index, round, terms, true);
        else if (round.rejections >= required) _resolve(contentHash, review, index, round, terms, false);
    }

    /// @dev Record the decision, settle what can be settled, then tell the Dataset (the one external
    ///      call, last, to a contract of our own platform).
    function _resolve(
        bytes32 contentHash,
        ItemReview storage review,
        uint32 index,
        Round storage round,
        Terms memory terms,
        bool approved
    ) private {
        review.outcome = approved ? Outcome.Approved : Outcome.Rejected;
        round.state = RoundState.Resolved;
        if (!approved) _forfeitDeposit(contentHash, review);
        emit ItemReviewed(contentHash, index, approved, round.approvals, round.rejections);
        if (!terms.commitReveal || round.reveals == round.commits) _settle(contentHash, review, index, round, terms);
        dataset.resolve(contentHash, approved);
    }

    function _settleable(Round storage round, Terms memory terms) private view returns (bool) {
        return round.reveals == round.commits || block.timestamp >= uint256(round.commitEnds) + terms.revealWindow;
    }

    /// @dev Each winner's share of the losing stakes, and what goes to the pool.
    function _split(Round storage round, Terms memory terms, bool approved)
        private
        view
        returns (uint256 share, uint256 stakesToPool, uint256 rewardsToPool)
    {
        uint256 winners = approved ? round.approvals : round.rejections;
        uint256 losers = approved ? round.rejections : round.approvals;
        uint256 unrevealed = round.commits - round.reveals;
        uint256 losing = losers * terms.stake;
        share = winners == 0 ? 0 : losing / winners;
        stakesToPool = losing - share * winners + unrevealed * terms.stake;
        rewardsToPool = (losers + unrevealed) * terms.reward;
    }

    function _settle(bytes32 contentHash, ItemReview storage review, uint32 index, Round storage round, Terms memory terms)
        private
    {
        bool approved = review.outcome == Outcome.Approved;
        (uint256 share, uint256 stakesToPool, uint256 rewardsToPool) = _split(round, terms, approved);
        round.settled = true;
        round.share = uint128(share);
        _toPool(stakesToPool, rewardsToPool);
        uint32 winners = approved ? round.approvals : round.rejections;
        uint32 losers = approved ? round.rejections : round.approvals;
        emit RoundSettled(
            contentHash, index, winners, losers, round.commits - round.reveals, share, stakesToPool + rewardsToPool
        );
    }

    function _failRound(bytes32 contentHash, ItemReview storage review, uint32 index, Round storage round, Terms memory terms)
        private
    {
        uint32 unrevealed = round.commits - round.reveals;
        uint256 stakesToPool = uint256(unrevealed) * terms.stake;
        uint256 rewardsToPool = uint256(round.commits) * terms.reward;
        round.state = RoundState.Failed;
        round.settled = true;
        review.round = index + 1;
        _toPool(stakesToPool, rewardsToPool);
        emit RoundFailed(contentHash, index, round.reveals, unrevealed, stakesToPool + rewardsToPool);
    }

    /// @dev A plain round that has waited {STALL_TIMEOUT} while no vote could resolve the item, because
    ///      this review lacks RESOLVER_ROLE on its Dataset (a read of our own platform's contract).
    function _stalled(Round storage round, Terms memory terms) private view returns (bool) {
        if (terms.commitReveal || round.commits == 0) return false;
        if (block.timestamp < uint256(round.openedAt) + STALL_TIMEOUT) return false;
        return !dataset.hasRole(dataset.RESOLVER_ROLE(), address(this));
    }

    /// @dev Close a stalled round: every ballot may claim its stake back, the rewards reserved for it
    ///      return to the pool, and the next vote opens a new round. No loop over voters.
    function _expireRound(
        bytes32 contentHash,
        ItemReview storage review,
        uint32 index,
        Round storage round,
        Terms memory terms
    ) private {
        uint256 rewardsToPool = uint256(round.commits) * terms.reward;
        round.state = RoundState.Expired;
        round.settled = true;
        review.round = index + 1;
        _toPool(0, rewardsToPool);
        emit RoundExpired(contentHash, index, round.commits, rewardsToPool);
    }

    /// @dev The item was resolved on the Dataset by another resolver: follow it and refund the round.
    function _abort(
        bytes32 contentHash,
        ItemReview storage review,
        uint32 index,
        Round storage round,
        Terms memory terms,
        Dataset.Status status
    ) private {
        bool approved = status == Dataset.Status.Approved;
        review.outcome = approved ? Outcome.Approved : Outcome.Rejected;
        round.state = RoundState.Aborted;
        round.settled = true;
        uint256 rewardsToPool = uint256(round.commits) * terms.reward;
        _toPool(0, rewardsToPool);
        if (!approved) _forfeitDeposit(contentHash, review);
        emit ReviewAborted(contentHash, index, review.outcome);
    }

    function _required(uint8 quorum, Dataset.Status status) private pure returns (uint256) {
        if (status == Dataset.Status.Quarantined && quorum == 0) return 1;
        return quorum;
    }

    function _isOpen(Dataset.Status status) private pure returns (bool) {
        return status == Dataset.Status.Pending || status == Dataset.Status.Quarantined;
    }
}

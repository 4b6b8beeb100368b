// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Dataset} from "./Dataset.sol";

/// @title SeBRUS Review
/// @notice Staked voting on one dataset's items: reviewers stake ETH on "the label is right" (approve)
///         or "it is wrong or poisoned" (reject); the winning side is paid, the losing side slashed,
///         and the item is settled on its {Dataset} through the dataset's RESOLVER_ROLE.
/// @dev One Review per dataset, an EIP-1167 clone made by {ReviewFactory} and granted RESOLVER_ROLE by
///      the dataset's owner. Why a clone per dataset rather than one shared contract:
///        - every dataset's money (stakes, pool, deposits) sits in its own contract, so the accounting
///          identity below holds per dataset and a fault in one dataset's review cannot reach another's;
///        - RESOLVER_ROLE on a dataset then names exactly the code and the owner that judge it;
///        - nothing already deployed changes: datasets gain a resolver the way they were designed to.
///      A clone costs one cheap deployment per dataset; a shared contract would save that, at the
///      price of mixing every dataset's funds in one balance.
///
///      POLICY. The owner sets {Terms}; each change becomes a new version whose `effectiveFrom` is
///      the block time of the change plus one second. An item is judged under the last version with
///      `effectiveFrom <= submittedAt` (the item's time on the Dataset), so a change applies only to
///      items submitted after it (items from the same second keep the old terms). The version is
///      recorded for the item the first time the review touches it.
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
///
///      PAYOUTS (pull, per item and round; no loop over voters). All stakes of an item are equal
///      (the item's policy), so pro rata by stake is an equal split: with W winners, L losers and U
///      unrevealed commits, each winner claims stake + reward + floor(L * stake / W). The rounding dust,
///      the U unrevealed stakes and the rewards reserved for losers and unrevealed commits go to the pool
///      when the round settles: at resolution in plain mode, and in commit-reveal mode once every commit
///      is revealed or the reveal window has closed. The contributor's deposit is refunded (claimed)
///      when the item is approved and forfeited to the pool when it is rejected.
///
///      ACCOUNTING. address(this).balance == stakesHeld + rewardsReserved + pool + depositsHeld at all
///      times (plain ETH transfers are refused; only a forced send could add to the balance). A vote's
///      reward is reserved from the pool when it is cast, so the owner can never withdraw what voters
///      were promised; the owner withdraws from `pool` only.
contract Review is AccessControl, Initializable, ReentrancyGuard {
    /// @notice Wallets allowed to vote when the policy is in allow-list mode.
    bytes32 public constant VOTER_ROLE = keccak256("VOTER_ROLE");
    /// @notice Largest x an owner may set (the paper's 0 <= x <= 100).
    uint8 public constant MAX_QUORUM = 100;
    /// @notice Longest commit or reveal window.
    uint32 public constant MAX_WINDOW = 30 days;

    /// @notice What a dataset owner decides.
    /// @param quorum x: votes one side needs (see the resolution rule).
    /// @param openVoting True: anyone who stakes may vote; false: only VOTER_ROLE holders.
    /// @param commitReveal True: votes are committed as hashes and revealed later.
    /// @param commitWindow Seconds a commit-reveal round takes commits (commit-reveal only).
    /// @param revealWindow Seconds reveals are taken after the commit phase (commit-reveal only).
    /// @param stake Wei every vote must carry (open voting needs a positive stake).
    /// @param reward Wei paid from the pool to each winning vote.
    /// @param deposit Wei the contributor must deposit before review opens; zero for none.
    struct Terms {
        uint8 quorum;
        bool openVoting;
        bool commitReveal;
        uint32 commitWindow;
        uint32 revealWindow;
        uint96 stake;
        uint96 reward;
        uint96 deposit;
    }

    struct Policy {
        Terms terms;
        uint64 effectiveFrom;
    }

    enum Outcome {
        None,
        Approved,
        Rejected
    }

    /// @dev Open: taking votes. Resolved: the item is decided (payouts fixed once `settled`).
    ///      Failed: a commit-reveal round ended without a decision. Aborted: resolved elsewhere.
    enum RoundState {
        Open,
        Resolved,
        Failed,
        Aborted
    }

    enum BallotState {
        None,
        Committed,
        Approve,
        Reject
    }

    /// @notice The review's record of one item.
    struct ItemReview {
        bool opened; // policyVersion has been recorded
        uint32 policyVersion;
        uint32 round; // current round (always 0 in plain mode)
        Outcome outcome;
        bool depositPaid;
        bool depositSettled; // refunded or forfeited
        uint96 deposit;
    }

    struct Round {
        uint32 commits; // ballots cast (a plain vote is a commit revealed at once)
        uint32 reveals;
        uint32 approvals;
        uint32 rejections;
        uint64 commitEnds; // commit-reveal: end of the commit phase
        RoundState state;
        bool settled;
        uint128 share; // each winner's part of the losing stakes, fixed at settlement
    }

    /// @notice What anyone may see of a round while it is open: no sides.
    struct RoundInfo {
        RoundState state;
        bool settled;
        uint32 commits;
        uint32 reveals;
        uint64 commitEnds;
        uint64 revealEnds;
    }

    struct Ballot {
        BallotState state;
        bool claimed;
        bytes32 commitment;
    }

    /// @notice The dataset this contract judges.
    Dataset public dataset;
    /// @notice Unreserved reward pool: the only money the owner may withdraw.
    uint256 public pool;
    /// @notice Rewards promised to cast votes (released to the pool for losers and forfeits).
    uint256 public rewardsReserved;
    /// @notice Voters' stakes not yet paid out, including winners' unclaimed shares of losing stakes.
    uint256 public stakesHeld;
    /// @notice Contributors' deposits not yet refunded or forfeited.
    uint256 public depositsHeld;

    Policy[] private _policies;
    mapping(bytes32 contentHash => ItemReview) private _items;
    mapping(bytes32 contentHash => mapping(uint32 round => Round)) private _rounds;
    mapping(bytes32 contentHash => mapping(uint32 round => mapping(address voter => Ballot))) private _ballots;

    event ReviewInitialized(address indexed dataset, address indexed owner);
    event PolicySet(uint256 indexed version, uint64 effectiveFrom, Terms terms);
    event PoolFunded(address indexed from, uint256 amount);
    event PoolWithdrawn(address indexed to, uint256 amount);
    event ItemOpened(bytes32 indexed contentHash, uint32 policyVersion);
    event DepositPaid(bytes32 indexed contentHash, address indexed contributor, uint256 amount);
    event DepositRefunded(bytes32 indexed contentHash, address indexed contributor, uint256 amount);
    event DepositForfeited(bytes32 indexed contentHash, uint256 amount);
    event VoteCast(bytes32 indexed contentHash, uint32 round, address indexed voter, bool approve, uint256 stake);
    event VoteCommitted(bytes32 indexed contentHash, uint32 round, address indexed voter, bytes32 commitment, uint256 stake);
    event CommitPhaseClosed(bytes32 indexed contentHash, uint32 round, uint64 revealEnds);
    event VoteRevealed(bytes32 indexed contentHash, uint32 round, address indexed voter, bool approve);
    event ItemReviewed(bytes32 indexed contentHash, uint32 round, bool approved, uint32 approvals, uint32 rejections);
    event RoundSettled(bytes32 indexed contentHash, uint32 round, uint32 winners, uint32 losers, uint32 unrevealed, uint256 share, uint256 toPool);
    event RoundFailed(bytes32 indexed contentHash, uint32 round, uint32 revealed, uint32 unrevealed, uint256 toPool);
    event ReviewAborted(bytes32 indexed contentHash, uint32 round, Outcome outcome);
    event Claimed(bytes32 indexed contentHash, uint32 round, address indexed voter, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error QuorumTooLarge(uint8 quorum, uint8 max);
    error OpenVotingNeedsStake();
    error InvalidWindow(uint32 commitWindow, uint32 revealWindow);
    error InsufficientPool(uint256 requested, uint256 available);
    error TransferFailed(address to, uint256 amount);
    error AlreadyResolved(bytes32 contentHash);
    error NoVoteNeeded(bytes32 contentHash);
    error OwnContribution(bytes32 contentHash, address voter);
    error NotAllowedVoter(address voter);
    error WrongStake(uint256 sent, uint256 expected);
    error DepositRequired(bytes32 contentHash, uint256 amount);
    error NoDepositRequired(bytes32 contentHash);
    error DepositAlreadyPaid(bytes32 contentHash);
    error WrongDeposit(uint256 sent, uint256 expected);
    error NotContributor(bytes32 contentHash, address caller);
    error CommitRevealRequired(bytes32 contentHash);
    error CommitRevealOff(bytes32 contentHash);
    error AlreadyVoted(bytes32 contentHash, uint32 round, address voter);
    error CommitClosed(bytes32 contentHash, uint32 round);
    error ZeroCommitment();
    error NoBallot(bytes32 contentHash, uint32 round, address voter);
    error AlreadyRevealed(bytes32 contentHash, uint32 round, address voter);
    error RevealNotOpen(bytes32 contentHash, uint64 opensAt);
    error RevealClosed(bytes32 contentHash, uint64 closedAt);
    error CommitmentMismatch(bytes32 contentHash, address voter);
    error NothingToFinalize(bytes32 contentHash);
    error RoundStillOpen(bytes32 contentHash, uint32 round);
    error RoundNotSettled(bytes32 contentHash, uint32 round, uint64 settlesAt);
    error NotAWinner(bytes32 contentHash, uint32 round, address voter);
    error StakeForfeited(bytes32 contentHash, uint32 round, address voter);
    error AlreadyClaimed(bytes32 contentHash, uint32 round, address voter);
    error DepositNotRefundable(bytes32 contentHash);
    error TallyNotFinal(bytes32 contentHash, uint32 round);
    error UnknownPolicy(uint256 version, uint256 count);

    /// @dev The implementation itself is never initialised; only clones are.
    constructor() {
        _disableInitializers();
    }

    /// @notice Set up a freshly cloned review. Called once, by {ReviewFactory}, in the transaction
    ///         that creates the clone. `terms` become policy version 0, in force for every item.
    function initialize(Dataset dataset_, address owner_, Terms calldata terms) external initializer {
        if (address(dataset_) == address(0) || owner_ == address(0)) revert ZeroAddress();
        dataset = dataset_;
        _grantRole(DEFAULT_ADMIN_ROLE, owner_);
        emit ReviewInitialized(address(dataset_), owner_);
        _pushPolicy(terms, 0);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Change the terms for items submitted after this block (see POLICY above).
    function setPolicy(Terms calldata terms) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pushPolicy(terms, uint64(block.timestamp) + 1);
    }

    /// @notice Add to the reward pool. Anyone may fund it; only the owner may withdraw.
    function fundPool() external payable {
        if (msg.value == 0) revert ZeroAmount();
        pool += msg.value;
        emit PoolFunded(msg.sender, msg.value);
    }

    /// @notice Take back unreserved pool money; stakes, reserved rewards and deposits are out of reach.
    function withdrawPool(address payable to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > pool) revert InsufficientPool(amount, pool);
        pool -= amount;
        emit PoolWithdrawn(to, amount);
        _send(to, amount);
    }

    // ---------------------------------------------------------------- contributor

    /// @notice Pay the policy's deposit for your own contribution; review opens once it is paid.
    function deposit(bytes32 contentHash) external payable {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (ItemReview storage review, Terms memory terms) = _open(contentHash, item.submittedAt);
        if (review.outcome != Outcome.None || !_isOpen(item.status)) revert AlreadyResolved(contentHash);
        if (msg.sender != item.contributor) revert NotContributor(contentHash, msg.sender);
        if (terms.deposit == 0) revert NoDepositRequired(contentHash);
        if (review.depositPaid) revert DepositAlreadyPaid(contentHash);
        if (msg.value != terms.deposit) revert WrongDeposit(msg.value, terms.deposit);
        review.depositPaid = true;
        review.deposit = terms.deposit;
        depositsHeld += msg.value;
        emit DepositPaid(contentHash, msg.sender, msg.value);
    }

    /// @notice Take back the deposit of an approved contribution.
    function claimDeposit(bytes32 contentHash) external nonReentrant {
        ItemReview storage review = _items[contentHash];
        if (review.outcome != Outcome.Approved || !review.depositPaid) revert DepositNotRefundable(contentHash);
        address contributor = dataset.getItem(contentHash).contributor;
        if (msg.sender != contributor) revert NotContributor(contentHash, msg.sender);
        if (review.depositSettled) revert AlreadyClaimed(contentHash, review.round, msg.sender);
        uint256 amount = review.deposit;
        review.depositSettled = true;
        depositsHeld -= amount;
        emit DepositRefunded(contentHash, contributor, amount);
        _send(contributor, amount);
    }

    // ---------------------------------------------------------------- voting

    /// @notice Vote in plain mode, sending exactly the policy's stake.
    function vote(bytes32 contentHash, bool approve) external payable {
        (ItemReview storage review, Terms memory terms, uint256 required) = _admitVoter(contentHash);
        if (terms.commitReveal) revert CommitRevealRequired(contentHash);
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        Ballot storage ballot = _ballots[contentHash][index][msg.sender];
        if (ballot.state != BallotState.None) revert AlreadyVoted(contentHash, index, msg.sender);
        _reserve(terms);
        ballot.state = approve ? BallotState.Approve : BallotState.Reject;
        round.commits += 1;
        round.reveals += 1;
        _count(round, approve);
        emit VoteCast(contentHash, index, msg.sender, approve, msg.value);
        _resolveIfDecided(contentHash, review, index, round, terms, required);
    }

    /// @notice Commit `keccak256(abi.encode(approve, salt, msg.sender))` with the policy's stake.
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
        if (round.commits == 0) round.commitEnds = uint64(block.timestamp) + terms.commitWindow;
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

    /// @notice Reveal the vote you committed in the item's current round.
    function reveal(bytes32 contentHash, bool approve, bytes32 salt) external {
        ItemReview storage review = _items[contentHash];
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        Ballot storage ballot = _ballots[contentHash][index][msg.sender];
        if (ballot.state == BallotState.None) revert NoBallot(contentHash, index, msg.sender);
        if (ballot.state != BallotState.Committed) revert AlreadyRevealed(contentHash, index, msg.sender);
        Terms memory terms = _policies[review.policyVersion].terms;
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

    /// @notice Move an item on when time or someone else has decided it; anyone may call.
    ///         Approves a q = 0 item, settles a decided commit-reveal round whose reveal window has
    ///         closed, fails an undecided one, or aborts the open round of an item resolved elsewhere.
    function finalize(bytes32 contentHash) external {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (ItemReview storage review, Terms memory terms) = _open(contentHash, item.submittedAt);
        uint32 index = review.round;
        Round storage round = _rounds[contentHash][index];
        if (review.outcome == Outcome.None) {
            if (!_isOpen(item.status)) {
                _abort(contentHash, review, index, round, terms, item.status);
            } else if (_required(terms.quorum, item.status) == 0) {
                if (terms.deposit > 0 && !review.depositPaid) revert DepositRequired(contentHash, terms.deposit);
                _resolve(contentHash, review, index, round, terms, true);
            } else if (
                terms.commitReveal && round.commits > 0
                    && block.timestamp >= uint256(round.commitEnds) + terms.revealWindow
            ) {
                _failRound(contentHash, review, index, round, terms);
            } else {
                revert NothingToFinalize(contentHash);
            }
        } else if (round.state == RoundState.Resolved && !round.settled && _settleable(round, terms)) {
            _settle(contentHash, review, index, round, terms);
        } else {
            revert NothingToFinalize(contentHash);
        }
    }

    /// @notice Collect what your ballot in `roundIndex` earned: stake + reward + share for a winner,
    ///         the stake back from a failed (revealed ballots) or aborted round.
    function claim(bytes32 contentHash, uint32 roundIndex) external nonReentrant {
        Round storage round = _rounds[contentHash][roundIndex];
        Ballot storage ballot = _ballots[contentHash][roundIndex][msg.sender];
        if (ballot.state == BallotState.None) revert NoBallot(contentHash, roundIndex, msg.sender);
        if (ballot.claimed) revert AlreadyClaimed(contentHash, roundIndex, msg.sender);
        if (round.state == RoundState.Open) revert RoundStillOpen(contentHash, roundIndex);
        ItemReview storage review = _items[contentHash];
        Terms memory terms = _policies[review.policyVersion].terms;
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
        stakesHeld -= stakePart;
        rewardsReserved -= rewardPart;
        uint256 amount = stakePart + rewardPart;
        emit Claimed(contentHash, roundIndex, msg.sender, amount);
        if (amount > 0) _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The four parts of this contract's balance, in one call: they always sum to it.
    function books()
        external
        view
        returns (uint256 stakesHeld_, uint256 rewardsReserved_, uint256 pool_, uint256 depositsHeld_)
    {
        return (stakesHeld, rewardsReserved, pool, depositsHeld);
    }

    function policyCount() external view returns (uint256) {
        return _policies.length;
    }

    function policyAt(uint256 version) external view returns (Terms memory terms, uint64 effectiveFrom) {
        if (version >= _policies.length) revert UnknownPolicy(version, _policies.length);
        Policy storage policy = _policies[version];
        return (policy.terms, policy.effectiveFrom);
    }

    /// @notice The policy version for an item submitted at `submittedAt`: the last one in force by then.
    function policyVersionAt(uint64 submittedAt) public view returns (uint32) {
        // Binary search over versions (effectiveFrom never decreases): O(log versions), no voter loop.
        uint256 low = 0;
        uint256 high = _policies.length; // answer lies in [low, high)
        while (high - low > 1) {
            uint256 mid = (low + high) / 2;
            if (_policies[mid].effectiveFrom <= submittedAt) low = mid;
            else high = mid;
        }
        return uint32(low);
    }

    /// @notice The policy version and terms that judge `contentHash`.
    function policyFor(bytes32 contentHash) external view returns (uint32 version, Terms memory terms) {
        ItemReview storage review = _items[contentHash];
        version = review.opened ? review.policyVersion : policyVersionAt(dataset.getItem(contentHash).submittedAt);
        terms = _policies[version].terms;
    }

    /// @notice Votes one side needs right now (see the resolution rule).
    function votesRequired(bytes32 contentHash) external view returns (uint256) {
        Dataset.Item memory item = dataset.getItem(contentHash);
        ItemReview storage review = _items[contentHash];
        uint32 version = review.opened ? review.policyVersion : policyVersionAt(item.submittedAt);
        return _required(_policies[version].terms.quorum, item.status);
    }

    function itemReview(bytes32 contentHash) external view returns (ItemReview memory) {
        return _items[contentHash];
    }

    /// @notice Progress of a round without its sides, so that an open vote stays blind here.
    function roundInfo(bytes32 contentHash, uint32 roundIndex) external view returns (RoundInfo memory info) {
        Round storage round = _rounds[contentHash][roundIndex];
        Terms memory terms = _policies[_items[contentHash].policyVersion].terms;
        info = RoundInfo({
            state: round.state,
            settled: round.settled,
            commits: round.commits,
            reveals: round.reveals,
            commitEnds: round.commitEnds,
            revealEnds: terms.commitReveal && round.commits > 0 ? round.commitEnds + terms.revealWindow : 0
        });
    }

    /// @notice The counted votes and each winner's share, once the round's payouts are fixed.
    function tally(bytes32 contentHash, uint32 roundIndex)
        external
        view
        returns (uint32 approvals, uint32 rejections, uint256 share)
    {
        Round storage round = _rounds[contentHash][roundIndex];
        if (!round.settled) revert TallyNotFinal(contentHash, roundIndex);
        return (round.approvals, round.rejections, round.share);
    }

    function ballotOf(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (Ballot memory) {
        return _ballots[contentHash][roundIndex][voter];
    }

    /// @notice What `voter` could claim for `roundIndex` now (counting a settlement that is due).
    function claimable(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (uint256) {
        Round storage round = _rounds[contentHash][roundIndex];
        Ballot storage ballot = _ballots[contentHash][roundIndex][voter];
        if (ballot.state == BallotState.None || ballot.claimed || round.state == RoundState.Open) return 0;
        ItemReview storage review = _items[contentHash];
        Terms memory terms = _policies[review.policyVersion].terms;
        if (round.state == RoundState.Aborted) return terms.stake;
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

    function _pushPolicy(Terms calldata terms, uint64 effectiveFrom) private {
        if (terms.quorum > MAX_QUORUM) revert QuorumTooLarge(terms.quorum, MAX_QUORUM);
        if (terms.openVoting && terms.stake == 0) revert OpenVotingNeedsStake();
        if (terms.commitReveal) {
            if (
                terms.commitWindow == 0 || terms.revealWindow == 0 || terms.commitWindow > MAX_WINDOW
                    || terms.revealWindow > MAX_WINDOW
            ) revert InvalidWindow(terms.commitWindow, terms.revealWindow);
        } else if (terms.commitWindow != 0 || terms.revealWindow != 0) {
            revert InvalidWindow(terms.commitWindow, terms.revealWindow);
        }
        _policies.push(Policy({terms: terms, effectiveFrom: effectiveFrom}));
        emit PolicySet(_policies.length - 1, effectiveFrom, terms);
    }

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
        terms = _policies[review.policyVersion].terms;
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

    function _reserve(Terms memory terms) private {
        if (terms.reward > pool) revert InsufficientPool(terms.reward, pool);
        pool -= terms.reward;
        rewardsReserved += terms.reward;
        stakesHeld += terms.stake;
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
        stakesHeld -= stakesToPool;
        rewardsReserved -= rewardsToPool;
        pool += stakesToPool + rewardsToPool;
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
        stakesHeld -= stakesToPool;
        rewardsReserved -= rewardsToPool;
        pool += stakesToPool + rewardsToPool;
        emit RoundFailed(contentHash, index, round.reveals, unrevealed, stakesToPool + rewardsToPool);
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
        rewardsReserved -= rewardsToPool;
        pool += rewardsToPool;
        if (!approved) _forfeitDeposit(contentHash, review);
        emit ReviewAborted(contentHash, index, review.outcome);
    }

    function _forfeitDeposit(bytes32 contentHash, ItemReview storage review) private {
        if (!review.depositPaid || review.depositSettled) return;
        review.depositSettled = true;
        depositsHeld -= review.deposit;
        pool += review.deposit;
        emit DepositForfeited(contentHash, review.deposit);
    }

    function _required(uint8 quorum, Dataset.Status status) private pure returns (uint256) {
        if (status == Dataset.Status.Quarantined && quorum == 0) return 1;
        return quorum;
    }

    function _isOpen(Dataset.Status status) private pure returns (bool) {
        return status == Dataset.Status.Pending || status == Dataset.Status.Quarantined;
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Dataset} from "../Dataset.sol";

/// @title SeBRUS Review interface
/// @notice Everything a client of a {Review} sees: its types, events, errors and external functions.
///         Staked voting on one dataset's items: reviewers stake ETH on "the label is right" (approve)
///         or "it is wrong or poisoned" (reject); the winning side is paid, the losing side slashed,
///         and the item is settled on its {Dataset} through the dataset's RESOLVER_ROLE.
/// @dev The role functions (`hasRole`, `grantRole`, ...) come from OpenZeppelin's {IAccessControl}.
///      The owner of a review is the holder of its DEFAULT_ADMIN_ROLE; VOTER_ROLE lists the voters
///      of an allow-list policy.
interface IReview is IAccessControl {
    // ---------------------------------------------------------------- types

    /// @notice What a dataset owner decides.
    /// @param quorum x: votes one side needs (see the resolution rule in {Review}).
    /// @param openVoting True: anyone who stakes may vote; false: only VOTER_ROLE holders.
    /// @param commitReveal True: votes are committed as hashes and revealed later.
    /// @param commitWindow Seconds a commit-reveal round takes commits (commit-reveal only).
    /// @param revealWindow Seconds reveals are taken after the commit phase (commit-reveal only).
    /// @param stake Wei every vote must carry (open voting needs a positive stake).
    /// @param reward Wei paid from the pool to each winning vote.
    /// @param deposit Wei the contributor must deposit before review opens; zero for none.
    /// @param finalizeDelay Seconds after an item is anchored before {finalize} may approve it without
    ///        votes (q = 0): the grace in which a detector can still quarantine it. At most MAX_WINDOW.
    struct Terms {
        uint8 quorum;
        bool openVoting;
        bool commitReveal;
        uint32 commitWindow;
        uint32 revealWindow;
        uint96 stake;
        uint96 reward;
        uint96 deposit;
        uint32 finalizeDelay;
    }

    /// @notice How the review decided an item: not yet, approved or rejected.
    enum Outcome {
        None,
        Approved,
        Rejected
    }

    /// @notice Open: taking votes. Resolved: the item is decided (payouts fixed once `settled`).
    ///         Failed: a commit-reveal round ended without a decision. Aborted: resolved elsewhere.
    ///         Expired: a plain round stalled for {STALL_TIMEOUT} while this review could not resolve
    ///         items on its Dataset (its RESOLVER_ROLE was revoked); every ballot's stake is refundable.
    enum RoundState {
        Open,
        Resolved,
        Failed,
        Aborted,
        Expired
    }

    /// @notice One voter's ballot in one round: none, committed (hidden) or a counted side.
    enum BallotState {
        None,
        Committed,
        Approve,
        Reject
    }

    /// @notice The review's record of one item.
    /// @param opened The policy version has been recorded (the review has touched the item).
    /// @param policyVersion The policy that judges the item.
    /// @param round The current round (always 0 in plain mode).
    /// @param outcome The review's decision, or the one recorded from another resolver.
    /// @param depositPaid The contributor paid the policy's deposit.
    /// @param depositSettled The deposit was refunded or forfeited.
    /// @param deposit The deposit paid, in wei.
    struct ItemReview {
        bool opened;
        uint32 policyVersion;
        uint32 round;
        Outcome outcome;
        bool depositPaid;
        bool depositSettled;
        uint96 deposit;
    }

    /// @notice What anyone may see of a round while it is open: no sides.
    /// @param revealEnds End of the reveal window (commit-reveal rounds with a commit); zero otherwise.
    struct RoundInfo {
        RoundState state;
        bool settled;
        uint32 commits;
        uint32 reveals;
        uint64 commitEnds;
        uint64 revealEnds;
    }

    /// @notice One voter's ballot in one round.
    /// @param claimed Its payout (or refund) has been collected.
    /// @param commitment The committed hash (commit-reveal only).
    struct Ballot {
        BallotState state;
        bool claimed;
        bytes32 commitment;
    }

    /// @notice A ballot its voter signed (EIP-712 type {BALLOT_TYPEHASH}) for a relayer to settle.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param approve True: the label is right; false: it is wrong or poisoned.
    /// @param voter The signer; the vote is theirs and its stake comes from their bond.
    /// @param nonce An unordered nonce: a bit of the voter's nonce bitmap, set when the ballot counts.
    /// @param deadline Last block time at which the ballot may be settled.
    /// @param r The signature's r.
    /// @param vs The signature's s with the parity of v in its top bit (EIP-2098 compact form).
    struct SignedBallot {
        bytes32 contentHash;
        bool approve;
        address voter;
        uint256 nonce;
        uint256 deadline;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice One ballot whose payout {claimBatch} credits to its voter's bond.
    struct ClaimRef {
        bytes32 contentHash;
        uint32 round;
        address voter;
    }

    /// @notice Why a batch left a ballot or a claim out (see {BallotSkipped} and {ClaimSkipped}).
    enum SkipReason {
        None,
        Expired,
        BadSignature,
        NonceUsed,
        NotOpen,
        NoVoteNeeded,
        OwnContribution,
        NotAllowedVoter,
        DepositRequired,
        CommitRevealRequired,
        AlreadyVoted,
        InsufficientBond,
        InsufficientPool,
        NoBallot,
        AlreadyClaimed,
        RoundOpen,
        NotSettled,
        NothingDue,
        NoResolver
    }

    // ---------------------------------------------------------------- events

    /// @notice A clone was set up to judge `dataset`, owned by `owner`.
    event ReviewInitialized(address indexed dataset, address indexed owner);
    /// @notice Policy `version` was added; it judges items submitted at or after `effectiveFrom`.
    event PolicySet(uint256 indexed version, uint64 effectiveFrom, Terms terms);
    /// @notice `from` added `amount` wei to the reward pool.
    event PoolFunded(address indexed from, uint256 amount);
    /// @notice The owner took `amount` wei of unreserved pool money to `to`.
    event PoolWithdrawn(address indexed to, uint256 amount);
    /// @notice The review touched an item for the first time and fixed its policy version.
    event ItemOpened(bytes32 indexed contentHash, uint32 policyVersion);
    /// @notice The contributor paid the policy's deposit; review of the item may open.
    event DepositPaid(bytes32 indexed contentHash, address indexed contributor, uint256 amount);
    /// @notice The deposit of an approved item went back to its contributor.
    event DepositRefunded(bytes32 indexed contentHash, address indexed contributor, uint256 amount);
    /// @notice The deposit of a rejected item went to the pool.
    event DepositForfeited(bytes32 indexed contentHash, uint256 amount);
    /// @notice A plain-mode vote was cast and counted.
    /// @param stake Wei the vote carried.
    event VoteCast(bytes32 indexed contentHash, uint32 round, address indexed voter, bool approve, uint256 stake);
    /// @notice A commit-reveal vote was committed (its side stays hidden until revealed).
    /// @param commitment keccak256(abi.encode(approve, salt, voter)).
    event VoteCommitted(bytes32 indexed contentHash, uint32 round, address indexed voter, bytes32 commitment, uint256 stake);
    /// @notice A round took its last possible commit (2q - 1); reveals are open until `revealEnds`.
    event CommitPhaseClosed(bytes32 indexed contentHash, uint32 round, uint64 revealEnds);
    /// @notice A committed vote was revealed and counted.
    event VoteRevealed(bytes32 indexed contentHash, uint32 round, address indexed voter, bool approve);
    /// @notice The review decided the item and told its Dataset.
    /// @param approvals Approving votes counted when it was decided.
    /// @param rejections Rejecting votes counted when it was decided.
    event ItemReviewed(bytes32 indexed contentHash, uint32 round, bool approved, uint32 approvals, uint32 rejections);
    /// @notice A decided round's payouts were fixed.
    /// @param share Each winner's part of the losing stakes.
    /// @param toPool Rounding dust, unrevealed stakes and unearned rewards moved to the pool.
    event RoundSettled(
        bytes32 indexed contentHash,
        uint32 round,
        uint32 winners,
        uint32 losers,
        uint32 unrevealed,
        uint256 share,
        uint256 toPool
    );
    /// @notice A commit-reveal round ended undecided: revealed stakes are refundable, unrevealed ones forfeit.
    /// @param toPool Forfeited stakes and the round's unearned rewards moved to the pool.
    event RoundFailed(bytes32 indexed contentHash, uint32 round, uint32 revealed, uint32 unrevealed, uint256 toPool);
    /// @notice Another resolver decided the item; the open round's stakes are refundable.
    /// @param outcome The outcome recorded from the Dataset.
    event ReviewAborted(bytes32 indexed contentHash, uint32 round, Outcome outcome);
    /// @notice A plain round stalled while this review lacked RESOLVER_ROLE on its Dataset: every
    ///         ballot's stake is refundable through {claim}; the next vote opens round `round` + 1.
    /// @param ballots Ballots cast in the round (each may claim its stake back).
    /// @param toPool The round's reserved rewards, back in the pool.
    event RoundExpired(bytes32 indexed contentHash, uint32 round, uint32 ballots, uint256 toPool);
    /// @notice `voter` collected `amount` wei for their ballot in `round`.
    event Claimed(bytes32 indexed contentHash, uint32 round, address indexed voter, uint256 amount);

    /// @notice `voter` added `amount` wei to their bond.
    event BondDeposited(address indexed voter, uint256 amount);
    /// @notice `voter` took `amount` wei of their available balance back.
    event BondWithdrawn(address indexed voter, uint256 amount);
    /// @notice Entry `index` of a {settleBallots} batch was not counted, for `reason`; `voter` is the
    ///         voter the ballot names (unproven when the reason is BadSignature).
    event BallotSkipped(uint256 index, bytes32 indexed contentHash, address indexed voter, SkipReason reason);
    /// @notice Entry `index` of a {claimBatch} was not credited, for `reason`.
    event ClaimSkipped(uint256 index, bytes32 indexed contentHash, address indexed voter, SkipReason reason);
    /// @notice `voter` cancelled the nonces set in `mask` of bitmap word `word` (unused ballots die).
    event NoncesCancelled(address indexed voter, uint256 word, uint256 mask);

    // ---------------------------------------------------------------- errors

    /// @notice A dataset, owner or recipient address was zero.
    error ZeroAddress();
    /// @notice A pool deposit or withdrawal of zero wei.
    error ZeroAmount();
    /// @notice The policy's quorum is above {MAX_QUORUM}.
    error QuorumTooLarge(uint8 quorum, uint8 max);
    /// @notice Open voting needs a positive stake (otherwise votes would cost nothing).
    error OpenVotingNeedsStake();
    /// @notice Commit-reveal needs both windows in (0, MAX_WINDOW]; plain voting needs both zero.
    error InvalidWindow(uint32 commitWindow, uint32 revealWindow);
    /// @notice The unreserved pool holds less than a withdrawal or a vote's reward asks.
    error InsufficientPool(uint256 requested, uint256 available);
    /// @notice An ETH payment was refused. Raised by reviews cloned from the implementation before the
    ///         split into IReview/ReviewPolicy/ReviewTreasury; the current one pays with OpenZeppelin's
    ///         `Address.sendValue`, which reverts with the recipient's own error or `FailedCall()`.
    /// @param to The recipient.
    /// @param amount Wei that could not be sent.
    error TransferFailed(address to, uint256 amount);
    /// @notice The item is no longer open for this action: decided by the review or on its Dataset.
    error AlreadyResolved(bytes32 contentHash);
    /// @notice The item's quorum is zero: nobody votes, {finalize} approves it.
    error NoVoteNeeded(bytes32 contentHash);
    /// @notice A contributor may not vote on their own item.
    error OwnContribution(bytes32 contentHash, address voter);
    /// @notice The policy is an allow-list and `voter` lacks VOTER_ROLE.
    error NotAllowedVoter(address voter);
    /// @notice A vote must carry exactly the policy's stake.
    error WrongStake(uint256 sent, uint256 expected);
    /// @notice Review of the item opens only once its contributor has paid the deposit.
    /// @param amount The deposit the policy asks.
    error DepositRequired(bytes32 contentHash, uint256 amount);
    /// @notice The item's policy asks no deposit.
    error NoDepositRequired(bytes32 contentHash);
    /// @notice The deposit for the item was paid already.
    error DepositAlreadyPaid(bytes32 contentHash);
    /// @notice A deposit must be exactly the policy's amount.
    error WrongDeposit(uint256 sent, uint256 expected);
    /// @notice Only the item's contributor may pay or take back its deposit.
    error NotContributor(bytes32 contentHash, address caller);
    /// @notice The item's policy is commit-reveal: use {commit} and {reveal}, not {vote}.
    error CommitRevealRequired(bytes32 contentHash);
    /// @notice The item's policy is plain voting: use {vote}, not {commit}.
    error CommitRevealOff(bytes32 contentHash);
    /// @notice `voter` has a ballot in this round already.
    error AlreadyVoted(bytes32 contentHash, uint32 round, address voter);
    /// @notice The round's commit phase is over (window elapsed or 2q - 1 commits in).
    error CommitClosed(bytes32 contentHash, uint32 round);
    /// @notice A commitment may not be zero.
    error ZeroCommitment();
    /// @notice `voter` has no ballot in this round.
    error NoBallot(bytes32 contentHash, uint32 round, address voter);
    /// @notice `voter`'s ballot in this round is revealed (or was a plain vote) already.
    error AlreadyRevealed(bytes32 contentHash, uint32 round, address voter);
    /// @notice Reveals open at `opensAt`, when the commit phase ends.
    error RevealNotOpen(bytes32 contentHash, uint64 opensAt);
    /// @notice The reveal window closed at `closedAt` (or the round's payouts are fixed).
    error RevealClosed(bytes32 contentHash, uint64 closedAt);
    /// @notice The revealed side and salt do not hash to the committed value.
    error CommitmentMismatch(bytes32 contentHash, address voter);
    /// @notice An item with no votes to wait for (q = 0) can be approved from `notBefore`: its policy's
    ///         `finalizeDelay` after it was anchored, so that a detector can still quarantine it.
    error FinalizeTooEarly(bytes32 contentHash, uint64 notBefore);
    /// @notice The policy's `finalizeDelay` is above `max` ({MAX_WINDOW}).
    error FinalizeDelayTooLong(uint32 finalizeDelay, uint32 max);
    /// @notice {finalize} found nothing to do for the item now.
    error NothingToFinalize(bytes32 contentHash);
    /// @notice The round still takes votes; nothing can be claimed from it yet.
    error RoundStillOpen(bytes32 contentHash, uint32 round);
    /// @notice The round is decided but its reveal window is open until `settlesAt`.
    error RoundNotSettled(bytes32 contentHash, uint32 round, uint64 settlesAt);
    /// @notice `voter` voted for the losing side; their stake went to the winners.
    error NotAWinner(bytes32 contentHash, uint32 round, address voter);
    /// @notice `voter` never revealed their commitment; the stake went to the pool.
    error StakeForfeited(bytes32 contentHash, uint32 round, address voter);
    /// @notice The ballot's payout, or the item's deposit, was collected already.
    error AlreadyClaimed(bytes32 contentHash, uint32 round, address voter);
    /// @notice Only the deposit of an approved item comes back.
    error DepositNotRefundable(bytes32 contentHash);
    /// @notice The round's counts stay hidden until its payouts are fixed.
    error TallyNotFinal(bytes32 contentHash, uint32 round);
    /// @notice There is no policy `version`; `count` versions exist.
    error UnknownPolicy(uint256 version, uint256 count);
    /// @notice A batch was empty.
    error EmptyBatch();
    /// @notice A batch held more than {MAX_BATCH} entries.
    error BatchTooLarge(uint256 size, uint256 max);
    /// @notice A deposit batch must carry exactly the sum of its items' deposits.
    error WrongDepositTotal(uint256 sent, uint256 expected);
    /// @notice A withdrawal asked more than the caller's available balance.
    error InsufficientBond(uint256 requested, uint256 available);

    // ---------------------------------------------------------------- constants and state

    /// @notice Role of the wallets allowed to vote when the policy is in allow-list mode.
    function VOTER_ROLE() external view returns (bytes32);
    /// @notice Largest x an owner may set (the paper's 0 <= x <= 100).
    function MAX_QUORUM() external view returns (uint8);
    /// @notice Longest commit or reveal window, and longest `finalizeDelay`, in seconds.
    function MAX_WINDOW() external view returns (uint32);
    /// @notice Seconds a plain round must have been open before {finalize} may expire it, and only
    ///         while this review lacks RESOLVER_ROLE on its Dataset (so no vote could decide the item).
    function STALL_TIMEOUT() external view returns (uint32);
    /// @notice The interface version of this review: 3 since signed ballots, bonds and batches; 2 since
    ///         `Terms.finalizeDelay` and round expiry (version 1, the earlier clones, has no such function:
    ///         a call reverts).
    function reviewVersion() external pure returns (uint16);
    /// @notice Most entries one batch ({settleBallots}, {claimBatch}, {depositBatch}) may hold.
    function MAX_BATCH() external view returns (uint256);
    /// @notice EIP-712 type hash of {SignedBallot} without its signature.
    function BALLOT_TYPEHASH() external view returns (bytes32);
    /// @notice The dataset this contract judges.
    function dataset() external view returns (Dataset);
    /// @notice Sum of every account's available balance (bonds, credited payouts and refunds).
    function bondsHeld() external view returns (uint256);
    /// @notice Unreserved reward pool: the only money the owner may withdraw.
    function pool() external view returns (uint256);
    /// @notice Rewards promised to cast votes (released to the pool for losers and forfeits).
    function rewardsReserved() external view returns (uint256);
    /// @notice Voters' stakes not yet paid out, including winners' unclaimed shares of losing stakes.
    function stakesHeld() external view returns (uint256);
    /// @notice Contributors' deposits not yet refunded or forfeited.
    function depositsHeld() external view returns (uint256);

    // ---------------------------------------------------------------- set-up and owner

    /// @notice Set up a freshly cloned review. Called once, by {ReviewFactory}, in the transaction
    ///         that creates the clone. `terms` become policy version 0, in force for every item.
    /// @param dataset_ The dataset to judge; the review needs its RESOLVER_ROLE to settle items.
    /// @param owner_ Receives DEFAULT_ADMIN_ROLE: sets the policy, withdraws the pool, lists voters.
    /// @param terms Policy version 0.
    function initialize(Dataset dataset_, address owner_, Terms calldata terms) external;

    /// @notice Change the terms for items submitted after this block. Owner only.
    /// @param terms The new policy; it becomes version {policyCount} - 1 once added.
    function setPolicy(Terms calldata terms) external;

    /// @notice Add the ETH sent to the reward pool. Anyone may fund it; only the owner may withdraw.
    function fundPool() external payable;

    /// @notice Take back unreserved pool money; stakes, reserved rewards and deposits are out of reach.
    ///         Owner only.
    /// @param to Recipient of the ETH.
    /// @param amount Wei to withdraw; at most {pool}.
    function withdrawPool(address payable to, uint256 amount) external;

    // ---------------------------------------------------------------- contributor

    /// @notice Pay the policy's deposit for your own contribution; review opens once it is paid.
    ///         Send exactly the deposit of the item's policy.
    /// @param contentHash The item, by the sha256 of its image bytes.
    function deposit(bytes32 contentHash) external payable;

    /// @notice Take back the deposit of an approved contribution (contributor only).
    /// @param contentHash The item, by the sha256 of its image bytes.
    function claimDeposit(bytes32 contentHash) external;

    /// @notice Pay the deposits of many of your own items at once; send exactly their sum. All or
    ///         nothing: a bad entry reverts the batch (its money travels with it).
    /// @param contentHashes The items, each by the sha256 of its image bytes.
    function depositBatch(bytes32[] calldata contentHashes) external payable;

    // ---------------------------------------------------------------- bonds and signed ballots

    /// @notice Add the ETH sent to your bond; signed ballots draw their stakes from it.
    function depositBond() external payable;

    /// @notice Take `amount` of your available balance (bond, credited payouts, deposit refunds).
    /// @param amount Wei; at most {bondOf} the caller.
    function withdrawBond(uint256 amount) external;

    /// @notice `account`'s available balance: withdrawable now. Stakes of open ballots are not in it.
    /// @param account A voter or contributor.
    function bondOf(address account) external view returns (uint256);

    /// @notice Count many signed ballots in one transaction (anyone may relay them). Each ballot counts
    ///         exactly as its voter's {vote} would, its stake drawn from the voter's bond; a ballot that
    ///         decides its item is paid at once into the voter's bond, and an approved item's deposit
    ///         into its contributor's. A ballot that cannot count is skipped with {BallotSkipped}.
    /// @param ballots At most {MAX_BATCH} ballots.
    function settleBallots(SignedBallot[] calldata ballots) external;

    /// @notice Credit many ballots' payouts (or refunds) to their voters' bonds; anyone may call, as
    ///         the money goes to each voter's balance. Entries that owe nothing are skipped with
    ///         {ClaimSkipped}. Serves per-vote ballots too.
    /// @param claims At most {MAX_BATCH} ballots.
    function claimBatch(ClaimRef[] calldata claims) external;

    /// @notice Cancel your unused ballot nonces: bits `mask` of bitmap word `word`.
    function cancelNonces(uint256 word, uint256 mask) external;

    /// @notice Whether `voter`'s `nonce` was cancelled or used by a counted ballot that stayed on record
    ///         (a ballot that decided its item at once leaves it unmarked: that item is closed for good).
    function nonceUsed(address voter, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest a voter signs for a ballot on this review.
    function ballotDigest(bytes32 contentHash, bool approve, address voter, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);

    // ---------------------------------------------------------------- voting

    /// @notice Vote in plain mode, sending exactly the policy's stake.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param approve True: the label is right; false: it is wrong or poisoned.
    function vote(bytes32 contentHash, bool approve) external payable;

    /// @notice Commit a hidden vote with the policy's stake (commit-reveal mode).
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param commitment keccak256(abi.encode(approve, salt, msg.sender)); not zero.
    function commit(bytes32 contentHash, bytes32 commitment) external payable;

    /// @notice Reveal the vote you committed in the item's current round.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param approve The side committed.
    /// @param salt The salt committed.
    function reveal(bytes32 contentHash, bool approve, bytes32 salt) external;

    /// @notice Move an item on when time or someone else has decided it; anyone may call.
    ///         Approves a q = 0 item once its policy's `finalizeDelay` has passed since it was anchored,
    ///         settles a decided commit-reveal round whose reveal window has closed, fails an undecided
    ///         one, aborts the open round of an item resolved elsewhere, or expires a plain round that
    ///         has been open {STALL_TIMEOUT} while this review lacks RESOLVER_ROLE on the Dataset.
    /// @param contentHash The item, by the sha256 of its image bytes.
    function finalize(bytes32 contentHash) external;

    /// @notice Collect what your ballot in `roundIndex` earned: stake + reward + share for a winner,
    ///         the stake back from a failed (revealed ballots), aborted or expired round.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param roundIndex The round the ballot was cast in.
    function claim(bytes32 contentHash, uint32 roundIndex) external;

    // ---------------------------------------------------------------- reads

    /// @notice The four parts of this contract's balance, in one call: they always sum to it.
    function books()
        external
        view
        returns (uint256 stakesHeld_, uint256 rewardsReserved_, uint256 pool_, uint256 depositsHeld_);

    /// @notice How many policy versions exist (at least one once initialised).
    function policyCount() external view returns (uint256);

    /// @notice Policy `version`'s terms and the submission time from which it judges items.
    /// @param version Index of the policy, from 0 to {policyCount} - 1.
    function policyAt(uint256 version) external view returns (Terms memory terms, uint64 effectiveFrom);

    /// @notice The policy version for an item submitted at `submittedAt`: the last one in force by then.
    /// @param submittedAt The item's time on the Dataset, in seconds.
    function policyVersionAt(uint64 submittedAt) external view returns (uint32);

    /// @notice The policy version and terms that judge `contentHash`.
    /// @param contentHash The item, by the sha256 of its image bytes.
    function policyFor(bytes32 contentHash) external view returns (uint32 version, Terms memory terms);

    /// @notice Votes one side needs right now (see the resolution rule in {Review}).
    /// @param contentHash The item, by the sha256 of its image bytes.
    function votesRequired(bytes32 contentHash) external view returns (uint256);

    /// @notice The review's record of `contentHash` (all zero before the review touches it).
    /// @param contentHash The item, by the sha256 of its image bytes.
    function itemReview(bytes32 contentHash) external view returns (ItemReview memory);

    /// @notice Progress of a round without its sides, so that an open vote stays blind here.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param roundIndex The round.
    function roundInfo(bytes32 contentHash, uint32 roundIndex) external view returns (RoundInfo memory info);

    /// @notice The counted votes and each winner's share, once the round's payouts are fixed.
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param roundIndex The round.
    function tally(bytes32 contentHash, uint32 roundIndex)
        external
        view
        returns (uint32 approvals, uint32 rejections, uint256 share);

    /// @notice `voter`'s ballot in `roundIndex` (its side is visible once revealed).
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param roundIndex The round.
    /// @param voter The voter.
    function ballotOf(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (Ballot memory);

    /// @notice What `voter` could claim for `roundIndex` now (counting a settlement that is due).
    /// @param contentHash The item, by the sha256 of its image bytes.
    /// @param roundIndex The round.
    /// @param voter The voter.
    function claimable(bytes32 contentHash, uint32 roundIndex, address voter) external view returns (uint256);
}

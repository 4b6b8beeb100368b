// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
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
///      SIGNED BALLOTS (version 3). A voter may instead sign a {SignedBallot} (EIP-712, domain
///      "SeBRUS Review" version "1", this clone's address) and let anyone relay it through
///      {settleBallots}, many ballots to a transaction. A relayed ballot counts exactly as the voter's
///      own {vote} would, under the same checks, with its stake drawn from the voter's bond (see
///      {ReviewTreasury}) instead of sent along. Differences, all to save gas without changing who
///      wins or what is paid:
///        - a ballot that cannot count is skipped with {BallotSkipped} (index and reason), not
///          reverted, so one forged, replayed, expired or late ballot does not sink the batch; a batch
///          reverts only when malformed (empty or over {MAX_BATCH});
///        - replay: a counted ballot that stays on record sets a bit of its voter's nonce bitmap
///          (unordered nonces, so a voter may sign many ballots in parallel and cancel unused ones
///          with {cancelNonces}); a ballot that decides its item at once leaves its nonce unmarked,
///          because its item is closed for good (a replay is skipped as NotOpen) and a first-use
///          bitmap word would cost a casual voter a new storage slot (22,100 gas) per ballot;
///        - the deciding ballot is paid at once (stake, reward and share into its voter's bond) and an
///          approved item's deposit goes into its contributor's bond: nobody claims per item;
///        - the deciding ballot leaves no ballot record ({ballotOf} shows none): nothing can be claimed
///          for it and the closed item takes no further vote; {VoteCast} names its voter;
///        - DECIDED AT ONCE: a ballot that decides its item alone (q = 1, no other ballot in the round)
///          stores no round and no ballot, and no item record unless one exists already (a deposit):
///          the item's status on the Dataset is the record (no later ballot or claim can touch a
///          resolved item) and {VoteCast} + {ItemReviewed} name the voter and the outcome.
///          {itemReview} reports such an item's outcome from the Dataset;
///        - commit-reveal policies are not relayed (skipped with CommitRevealRequired): their voters use
///          {commit} and {reveal}, whose stakes {claimBatch} can still credit to bonds.
///      Other winners of a round, and refunds, are credited with {claimBatch}, which loops over the
///      ballots its caller names (bounded by calldata), never over a round's voters.
///
///      Payouts and the accounting identity are described in {ReviewTreasury}, policy versions in
///      {ReviewPolicy}.
contract Review is ReviewPolicy, ReviewTreasury, Initializable {
    /// @inheritdoc IReview
    bytes32 public constant VOTER_ROLE = keccak256("VOTER_ROLE");
    /// @inheritdoc IReview
    uint32 public constant STALL_TIMEOUT = 14 days;
    /// @inheritdoc IReview
    uint256 public constant MAX_BATCH = 256;
    /// @inheritdoc IReview
    bytes32 public constant BALLOT_TYPEHASH =
        keccak256("Ballot(bytes32 contentHash,bool approve,address voter,uint256 nonce,uint256 deadline)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant RESOLVER_ROLE = keccak256("RESOLVER_ROLE"); // Dataset.RESOLVER_ROLE
    bytes32 private constant DOMAIN_NAME_HASH = keccak256("SeBRUS Review");
    bytes32 private constant DOMAIN_VERSION_HASH = keccak256("1");
    /// @dev See {reviewVersion}: 2 added `Terms.finalizeDelay`, round expiry and {reviewVersion} itself;
    ///      3 added signed ballots, bonds and batches.
    uint16 private constant VERSION = 3;

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
    /// @dev Unordered ballot nonces: bit (nonce & 255) of word (nonce >> 8); a sequential signer
    ///      touches one new slot per 256 ballots.
    mapping(address voter => mapping(uint256 word => uint256 bits)) private _nonceBits;

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
        uint256 amount = _takeDeposit(contentHash);
        if (msg.value != amount) revert WrongDeposit(msg.value, amount);
    }

    /// @inheritdoc IReview
    function depositBatch(bytes32[] calldata contentHashes) external payable {
        uint256 count = _checkBatch(contentHashes.length);
        uint256 total = 0;
        for (uint256 i = 0; i < count; ++i) {
            total += _takeDeposit(contentHashes[i]);
        }
        if (msg.value != total) revert WrongDepositTotal(msg.value, total);
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
        // Decided at once by a signed ballot, or resolved elsewhere untouched: no money to move.
        if (!_items[contentHash].opened && !_isOpen(item.status)) revert NothingToFinalize(contentHash);
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

    // ---------------------------------------------------------------- signed ballots and batches

    /// @inheritdoc IReview
    function settleBallots(SignedBallot[] calldata ballots) external nonReentrant {
        uint256 count = _checkBatch(ballots.length);
        bytes32 domain = _domainSeparator();
        // Without RESOLVER_ROLE a deciding ballot cannot resolve its item: skip it, not the batch.
        bool canResolve = dataset.hasRole(RESOLVER_ROLE, address(this));
        for (uint256 i = 0; i < count; ++i) {
            SignedBallot calldata ballot = ballots[i];
            SkipReason reason = _countSigned(domain, ballot, canResolve);
            if (reason != SkipReason.None) emit BallotSkipped(i, ballot.contentHash, ballot.voter, reason);
        }
    }

    /// @inheritdoc IReview
    function claimBatch(ClaimRef[] calldata claims) external nonReentrant {
        uint256 count = _checkBatch(claims.length);
        for (uint256 i = 0; i < count; ++i) {
            ClaimRef calldata ref = claims[i];
            SkipReason reason = _claimInto(ref.contentHash, ref.round, ref.voter);
            if (reason != SkipReason.None) emit ClaimSkipped(i, ref.contentHash, ref.voter, reason);
        }
    }

    /// @inheritdoc IReview
    function cancelNonces(uint256 word, uint256 mask) external {
        _nonceBits[msg.sender][word] |= mask;
        emit NoncesCancelled(msg.sender, word, mask);
    }

    /// @inheritdoc IReview
    function nonceUsed(address voter, uint256 nonce) external view returns (bool) {
        return _nonceBits[voter][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IReview
    function ballotDigest(bytes32 contentHash, bool approve, address voter, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _ballotDigest(_domainSeparator(), contentHash, approve, voter, nonce, deadline);
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
    function itemReview(bytes32 contentHash) external view returns (ItemReview memory record) {
        record = _items[contentHash];
        // An item decided at once by a signed ballot has no record here: its status is the record.
        if (!record.opened && dataset.exists(contentHash)) {
            Dataset.Status status = dataset.getItem(contentHash).status;
            if (status == Dataset.Status.Approved) record.outcome = Outcome.Approved;
            else if (status == Dataset.Status.Rejected) record.outcome = Outcome.Rejected;
        }
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
        _decide(contentHash, review, index, round, terms, approved);
        dataset.resolve(contentHash, approved);
    }

    /// @dev The effects of {_resolve}, without telling the Dataset.
    function _decide(
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

    /// @dev Checks and effects of one item's deposit paid by the caller; the amount it owes.
    function _takeDeposit(bytes32 contentHash) private returns (uint256) {
        Dataset.Item memory item = dataset.getItem(contentHash);
        (ItemReview storage review, Terms memory terms) = _open(contentHash, item.submittedAt);
        if (review.outcome != Outcome.None || !_isOpen(item.status)) revert AlreadyResolved(contentHash);
        if (msg.sender != item.contributor) revert NotContributor(contentHash, msg.sender);
        if (terms.deposit == 0) revert NoDepositRequired(contentHash);
        if (review.depositPaid) revert DepositAlreadyPaid(contentHash);
        _holdDeposit(contentHash, review, terms.deposit);
        return terms.deposit;
    }

    function _checkBatch(uint256 size) private pure returns (uint256) {
        if (size == 0) revert EmptyBatch();
        if (size > MAX_BATCH) revert BatchTooLarge(size, MAX_BATCH);
        return size;
    }

    /// @dev Built per call rather than cached: every clone has its own address.
    function _domainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, DOMAIN_NAME_HASH, DOMAIN_VERSION_HASH, block.chainid, address(this)));
    }

    function _ballotDigest(
        bytes32 domain,
        bytes32 contentHash,
        bool approve,
        address voter,
        uint256 nonce,
        uint256 deadline
    ) private pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(BALLOT_TYPEHASH, contentHash, approve, voter, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @dev Count one relayed ballot, or say why not (before any effect). Mirrors {vote}'s checks.
    function _countSigned(bytes32 domain, SignedBallot calldata b, bool canResolve) private returns (SkipReason) {
        if (block.timestamp > b.deadline) return SkipReason.Expired;
        bytes32 digest = _ballotDigest(domain, b.contentHash, b.approve, b.voter, b.nonce, b.deadline);
        (address signer, ECDSA.RecoverError failure,) = ECDSA.tryRecover(digest, b.r, b.vs);
        if (failure != ECDSA.RecoverError.NoError || signer != b.voter) return SkipReason.BadSignature;
        uint256 bits = _nonceBits[b.voter][b.nonce >> 8];
        uint256 bit = 1 << (b.nonce & 0xff);
        if (bits & bit != 0) return SkipReason.NonceUsed;
        Dataset.Item memory item;
        try dataset.getItem(b.contentHash) returns (Dataset.Item memory found) {
            item = found;
        } catch {
            return SkipReason.NotOpen; // not anchored on the Dataset
        }
        ItemReview storage review = _items[b.contentHash];
        uint32 version = review.opened ? review.policyVersion : policyVersionAt(item.submittedAt);
        Terms memory terms = _terms(version);
        SkipReason refused = _refuseSigned(review, terms, item, b.voter);
        if (refused != SkipReason.None) return refused;
        uint256 required = _required(terms.quorum, item.status);
        uint32 index = review.round;
        // An unopened item has no round yet: skip reading one.
        if (required == 1 && (!review.opened || _rounds[b.contentHash][index].commits == 0)) {
            if (!canResolve) return SkipReason.NoResolver;
            // Effects: the reward, the outcome where a record exists; then the Dataset. The nonce is
            // left unmarked: the item is now closed for good, so this ballot can never count again.
            _decideAtOnce(b.contentHash, review, terms, item.contributor, b.voter, b.approve, index);
            dataset.resolve(b.contentHash, b.approve);
            return SkipReason.None;
        }
        Round storage round = _rounds[b.contentHash][index];
        Ballot storage ballot = _ballots[b.contentHash][index][b.voter];
        if (ballot.state != BallotState.None) return SkipReason.AlreadyVoted;
        if (!canResolve && (b.approve ? round.approvals : round.rejections) + 1 >= required) {
            return SkipReason.NoResolver;
        }
        _nonceBits[b.voter][b.nonce >> 8] = bits | bit;
        if (!review.opened) {
            review.opened = true;
            review.policyVersion = version;
            emit ItemOpened(b.contentHash, version);
        }
        _bonds[b.voter] -= terms.stake;
        bondsHeld -= terms.stake;
        _reserve(terms);
        if (round.commits == 0) round.openedAt = uint32(block.timestamp);
        round.commits += 1;
        round.reveals += 1;
        _count(round, b.approve);
        emit VoteCast(b.contentHash, index, b.voter, b.approve, terms.stake);
        if ((b.approve ? round.approvals : round.rejections) < required) {
            ballot.state = b.approve ? BallotState.Approve : BallotState.Reject;
        } else {
            // This ballot decides the item: settle the round and pay this ballot (and an approved
            // item's deposit) into bonds at once, then tell the Dataset. Its ballot record is never
            // written: nothing can be claimed for it, and the closed item takes no further vote.
            _decide(b.contentHash, review, index, round, terms, b.approve);
            _creditClaim(b.contentHash, index, b.voter, uint256(terms.stake) + round.share, terms.reward);
            if (b.approve) _creditDeposit(b.contentHash, review, item.contributor);
            dataset.resolve(b.contentHash, b.approve);
        }
        return SkipReason.None;
    }

    /// @dev The checks {vote} makes, as a skip reason for a relayed ballot (bond and pool included).
    function _refuseSigned(ItemReview storage review, Terms memory terms, Dataset.Item memory item, address voter)
        private
        view
        returns (SkipReason)
    {
        if (review.outcome != Outcome.None || !_isOpen(item.status)) return SkipReason.NotOpen;
        if (_required(terms.quorum, item.status) == 0) return SkipReason.NoVoteNeeded;
        if (voter == item.contributor) return SkipReason.OwnContribution;
        if (!terms.openVoting && !hasRole(VOTER_ROLE, voter)) return SkipReason.NotAllowedVoter;
        if (terms.deposit > 0 && !review.depositPaid) return SkipReason.DepositRequired;
        if (terms.commitReveal) return SkipReason.CommitRevealRequired;
        if (_bonds[voter] < terms.stake) return SkipReason.InsufficientBond;
        if (terms.reward > pool) return SkipReason.InsufficientPool;
        return SkipReason.None;
    }

    /// @dev A ballot that decides its item alone: its stake never leaves the bond, its reward goes
    ///      straight from the pool into it, and nothing is stored for the round or the ballot.
    function _decideAtOnce(
        bytes32 contentHash,
        ItemReview storage review,
        Terms memory terms,
        address contributor,
        address voter,
        bool approve,
        uint32 index
    ) private {
        if (terms.reward > 0) {
            pool -= terms.reward;
            _bonds[voter] += terms.reward;
            bondsHeld += terms.reward;
        }
        emit VoteCast(contentHash, index, voter, approve, terms.stake);
        if (review.opened) {
            review.outcome = approve ? Outcome.Approved : Outcome.Rejected;
            if (approve) _creditDeposit(contentHash, review, contributor);
            else _forfeitDeposit(contentHash, review);
        }
        emit ItemReviewed(contentHash, index, approve, approve ? 1 : 0, approve ? 0 : 1);
    }

    /// @dev {claim} for someone else's ballot, crediting their bond; a skip reason instead of a revert.
    function _claimInto(bytes32 contentHash, uint32 roundIndex, address voter) private returns (SkipReason) {
        Round storage round = _rounds[contentHash][roundIndex];
        Ballot storage ballot = _ballots[contentHash][roundIndex][voter];
        if (ballot.state == BallotState.None) return SkipReason.NoBallot;
        if (ballot.claimed) return SkipReason.AlreadyClaimed;
        if (round.state == RoundState.Open) return SkipReason.RoundOpen;
        ItemReview storage review = _items[contentHash];
        Terms memory terms = _terms(review.policyVersion);
        if (round.state == RoundState.Resolved && !round.settled) {
            if (!_settleable(round, terms)) return SkipReason.NotSettled;
            _settle(contentHash, review, roundIndex, round, terms);
        }
        uint256 stakePart = terms.stake;
        uint256 rewardPart = 0;
        if (round.state == RoundState.Resolved) {
            BallotState winning = review.outcome == Outcome.Approved ? BallotState.Approve : BallotState.Reject;
            if (ballot.state != winning) return SkipReason.NothingDue;
            stakePart += round.share;
            rewardPart = terms.reward;
        } else if (round.state == RoundState.Failed && ballot.state == BallotState.Committed) {
            return SkipReason.NothingDue;
        }
        ballot.claimed = true;
        _creditClaim(contentHash, roundIndex, voter, stakePart, rewardPart);
        return SkipReason.None;
    }

    function _required(uint8 quorum, Dataset.Status status) private pure returns (uint256) {
        if (status == Dataset.Status.Quarantined && quorum == 0) return 1;
        return quorum;
    }

    function _isOpen(Dataset.Status status) private pure returns (bool) {
        return status == Dataset.Status.Pending || status == Dataset.Status.Quarantined;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IReview} from "./IReview.sol";

/// @title SeBRUS review treasury
/// @notice The money of a {Review}: the reward pool, voters' stakes, reserved rewards and contributors'
///         deposits, and the pull payments that pay them out.
/// @dev PAYOUTS (pull, per item and round; no loop over voters). All stakes of an item are equal
///      (the item's policy), so pro rata by stake is an equal split: with W winners, L losers and U
///      unrevealed commits, each winner claims stake + reward + floor(L * stake / W). The rounding dust,
///      the U unrevealed stakes and the rewards reserved for losers and unrevealed commits go to the pool
///      when the round settles: at resolution in plain mode, and in commit-reveal mode once every commit
///      is revealed or the reveal window has closed. The contributor's deposit is refunded (claimed)
///      when the item is approved and forfeited to the pool when it is rejected.
///
///      BONDS (version 3). A voter deposits a bond once; each signed ballot moves its stake from the
///      voter's bond into `stakesHeld`, and its payout (or refund) comes back into the bond, as does an
///      approved item's deposit into its contributor's. `bondsHeld` is the sum of all such balances,
///      every wei of which its owner may withdraw at any time: a stake drawn by an open ballot is
///      no longer in the bond, so "withdrawable while no vote of theirs is open" holds by construction.
///
///      ACCOUNTING. address(this).balance == stakesHeld + rewardsReserved + pool + depositsHeld
///      + bondsHeld at all times (plain ETH transfers are refused; only a forced send could add to the balance). A vote's
///      reward is reserved from the pool when it is cast, so the owner can never withdraw what voters
///      were promised; the owner withdraws from `pool` only.
///
///      Every payment leaves through {_send} (OpenZeppelin's `Address.sendValue`), always last, after
///      the books are updated (checks-effects-interactions), and from a `nonReentrant` entry point.
abstract contract ReviewTreasury is IReview, AccessControl, ReentrancyGuard {
    /// @inheritdoc IReview
    uint256 public pool;
    /// @inheritdoc IReview
    uint256 public rewardsReserved;
    /// @inheritdoc IReview
    uint256 public stakesHeld;
    /// @inheritdoc IReview
    uint256 public depositsHeld;
    /// @inheritdoc IReview
    uint256 public bondsHeld;

    mapping(address account => uint256) internal _bonds;

    /// @inheritdoc IReview
    function fundPool() external payable {
        if (msg.value == 0) revert ZeroAmount();
        pool += msg.value;
        emit PoolFunded(msg.sender, msg.value);
    }

    /// @inheritdoc IReview
    function withdrawPool(address payable to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > pool) revert InsufficientPool(amount, pool);
        pool -= amount;
        emit PoolWithdrawn(to, amount);
        _send(to, amount);
    }

    /// @inheritdoc IReview
    function depositBond() external payable {
        if (msg.value == 0) revert ZeroAmount();
        _bonds[msg.sender] += msg.value;
        bondsHeld += msg.value;
        emit BondDeposited(msg.sender, msg.value);
    }

    /// @inheritdoc IReview
    function withdrawBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = _bonds[msg.sender];
        if (amount > available) revert InsufficientBond(amount, available);
        _bonds[msg.sender] = available - amount;
        bondsHeld -= amount;
        emit BondWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IReview
    function bondOf(address account) external view returns (uint256) {
        return _bonds[account];
    }

    /// @inheritdoc IReview
    function books()
        external
        view
        returns (uint256 stakesHeld_, uint256 rewardsReserved_, uint256 pool_, uint256 depositsHeld_)
    {
        return (stakesHeld, rewardsReserved, pool, depositsHeld);
    }

    // ---------------------------------------------------------------- bookkeeping for the voting core

    /// @dev A vote was cast: hold its stake and reserve its reward from the pool.
    function _reserve(Terms memory terms) internal {
        if (terms.reward > pool) revert InsufficientPool(terms.reward, pool);
        pool -= terms.reward;
        rewardsReserved += terms.reward;
        stakesHeld += terms.stake;
    }

    /// @dev Move forfeited stakes and unearned rewards to the pool.
    function _toPool(uint256 stakes, uint256 rewards) internal {
        stakesHeld -= stakes;
        rewardsReserved -= rewards;
        pool += stakes + rewards;
    }

    /// @dev The contributor paid `amount` (msg.value, already checked) as the item's deposit.
    function _holdDeposit(bytes32 contentHash, ItemReview storage review, uint96 amount) internal {
        review.depositPaid = true;
        review.deposit = amount;
        depositsHeld += amount;
        emit DepositPaid(contentHash, msg.sender, amount);
    }

    /// @dev The item was rejected: its deposit, if any is still held, goes to the pool.
    function _forfeitDeposit(bytes32 contentHash, ItemReview storage review) internal {
        if (!review.depositPaid || review.depositSettled) return;
        review.depositSettled = true;
        depositsHeld -= review.deposit;
        pool += review.deposit;
        emit DepositForfeited(contentHash, review.deposit);
    }

    /// @dev Pay an approved item's deposit back to its contributor (checked by the caller).
    function _refundDeposit(bytes32 contentHash, ItemReview storage review, address contributor) internal {
        uint256 amount = review.deposit;
        review.depositSettled = true;
        depositsHeld -= amount;
        emit DepositRefunded(contentHash, contributor, amount);
        _send(contributor, amount);
    }

    /// @dev Pay a ballot's claim (checked and marked claimed by the caller): its stake part leaves
    ///      `stakesHeld`, its reward part leaves `rewardsReserved`.
    function _payClaim(bytes32 contentHash, uint32 roundIndex, uint256 stakePart, uint256 rewardPart) internal {
        stakesHeld -= stakePart;
        rewardsReserved -= rewardPart;
        uint256 amount = stakePart + rewardPart;
        emit Claimed(contentHash, roundIndex, msg.sender, amount);
        if (amount > 0) _send(msg.sender, amount);
    }

    /// @dev Credit a ballot's claim (checked and marked claimed by the caller) to `voter`'s bond: the
    ///      pull-payment twin of {_payClaim}, with no transfer at all.
    function _creditClaim(bytes32 contentHash, uint32 roundIndex, address voter, uint256 stakePart, uint256 rewardPart)
        internal
    {
        stakesHeld -= stakePart;
        rewardsReserved -= rewardPart;
        uint256 amount = stakePart + rewardPart;
        _bonds[voter] += amount;
        bondsHeld += amount;
        emit Claimed(contentHash, roundIndex, voter, amount);
    }

    /// @dev An approved item's deposit goes to its contributor's bond (pull), not by transfer.
    function _creditDeposit(bytes32 contentHash, ItemReview storage review, address contributor) internal {
        if (!review.depositPaid || review.depositSettled) return;
        uint256 amount = review.deposit;
        review.depositSettled = true;
        depositsHeld -= amount;
        _bonds[contributor] += amount;
        bondsHeld += amount;
        emit DepositRefunded(contentHash, contributor, amount);
    }

    /// @dev The one way ETH leaves this contract; callers update the books first.
    function _send(address to, uint256 amount) private {
        Address.sendValue(payable(to), amount);
    }
}

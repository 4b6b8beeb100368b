// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IReview} from "./IReview.sol";

/// @title SeBRUS review policy
/// @notice The versioned review terms of a {Review}: what its owner decides, and which version judges
///         which item.
/// @dev POLICY. The owner sets {IReview-Terms}; each change becomes a new version whose `effectiveFrom`
///      is the block time of the change plus one second. An item is judged under the last version with
///      `effectiveFrom <= submittedAt` (the item's time on the Dataset), so a change applies only to
///      items submitted after it (items from the same second keep the old terms). The version is
///      recorded for the item the first time the review touches it (in {Review}).
///
///      Versions are only ever appended, with non-decreasing `effectiveFrom`, so looking one up is a
///      binary search: O(log versions), no loop over voters or items.
abstract contract ReviewPolicy is IReview, AccessControl {
    /// @inheritdoc IReview
    uint8 public constant MAX_QUORUM = 100;
    /// @inheritdoc IReview
    uint32 public constant MAX_WINDOW = 30 days;

    /// @dev One version of the terms and the submission time from which it applies.
    struct Policy {
        Terms terms;
        uint64 effectiveFrom;
    }

    Policy[] private _policies;

    /// @inheritdoc IReview
    function setPolicy(Terms calldata terms) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pushPolicy(terms, uint64(block.timestamp) + 1);
    }

    /// @inheritdoc IReview
    function policyCount() external view returns (uint256) {
        return _policies.length;
    }

    /// @inheritdoc IReview
    function policyAt(uint256 version) external view returns (Terms memory terms, uint64 effectiveFrom) {
        if (version >= _policies.length) revert UnknownPolicy(version, _policies.length);
        Policy storage policy = _policies[version];
        return (policy.terms, policy.effectiveFrom);
    }

    /// @inheritdoc IReview
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

    /// @dev The terms of policy `version` (which must exist: versions come from {policyVersionAt}).
    function _terms(uint32 version) internal view returns (Terms memory) {
        return _policies[version].terms;
    }

    /// @dev Check `terms` and append them as the next version, in force from `effectiveFrom`.
    function _pushPolicy(Terms calldata terms, uint64 effectiveFrom) internal {
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
        if (terms.finalizeDelay > MAX_WINDOW) revert FinalizeDelayTooLong(terms.finalizeDelay, MAX_WINDOW);
        _policies.push(Policy({terms: terms, effectiveFrom: effectiveFrom}));
        emit PolicySet(_policies.length - 1, effectiveFrom, terms);
    }
}

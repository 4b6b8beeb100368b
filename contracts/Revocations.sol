// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @dev The two reads this contract needs from a {Dataset}; declared here so that this file does not
///      compile the whole dataset again.
interface IDatasetItems {
    struct Item {
        address contributor;
        uint64 submittedAt;
        uint16 label;
        uint8 status;
    }

    function getItem(bytes32 contentHash) external view returns (Item memory);
}

/// @title SeBRUS Revocations
/// @notice Incident response for every dataset: a dataset's admin revokes a contributor (a wallet),
///         which puts every item of theirs on hold, and later clears items a person has checked again.
/// @dev WHY A SEPARATE CONTRACT. A {Dataset}'s status only moves forward (Pending -> Quarantined ->
///      Approved | Rejected) and the review network relies on a resolved outcome being final, and
///      deployed clones cannot change. So a revocation cannot move an Approved item back to
///      Quarantined on the dataset. Instead this registry records, next to the dataset:
///        - {ContributorRevoked}: the contributor is revoked from now on (and why: `reasonHash`);
///        - {ItemRequarantined}: one event per item of theirs the admin puts on hold, batched;
///        - {ItemCleared}: an item on hold that the admin released again after a new check;
///        - {ContributorReinstated}: the revocation is lifted.
///      An item is HELD while its contributor is revoked and the item was not cleared since the
///      revocation ({isHeld}). The platform treats a held item as quarantined: it leaves it out of
///      every release until it is cleared. Items of theirs still Pending on the dataset are
///      quarantined there too, by the platform's detector account (the dataset's own DETECTOR_ROLE),
///      so that the review network sees them as flagged.
///
///      LIMITS. Holding is a promise of the platform and of anyone who reads this registry: the
///      dataset itself still says Approved, and a consumer that reads only the {Dataset} will not
///      see the hold. Releases already published stay as they were (they are immutable); the next
///      release removes held items and says why. Clearing is the admin's word, recorded with a report
///      hash; this contract cannot know whether the item was looked at again. Revoking again after a
///      reinstatement starts a new epoch, so items cleared under an earlier revocation are held again.
///      Nothing here loops over storage: {requarantine} and {clear} loop over calldata bounded by
///      {MAX_BATCH}.
contract Revocations {
    bytes32 private constant DEFAULT_ADMIN_ROLE = 0x00;

    /// @notice Most items one {requarantine} or {clear} call takes.
    uint256 public constant MAX_BATCH = 256;

    /// @dev One slot: when the current revocation started (zero: not revoked) and its epoch.
    struct Revocation {
        uint64 revokedAt;
        uint32 epoch;
    }

    mapping(address dataset => mapping(address contributor => Revocation)) private _revocations;
    /// @dev The epoch of the contributor's revocation under which an item was cleared; an item is held
    ///      while its contributor's current epoch differs.
    mapping(address dataset => mapping(bytes32 contentHash => uint32 epoch)) private _clearedEpoch;

    event ContributorRevoked(
        address indexed dataset, address indexed contributor, address indexed admin, bytes32 reasonHash, uint32 epoch
    );
    event ContributorReinstated(
        address indexed dataset, address indexed contributor, address indexed admin, bytes32 reasonHash
    );
    event ItemRequarantined(
        address indexed dataset, bytes32 indexed contentHash, address indexed contributor, bytes32 reasonHash
    );
    event ItemCleared(address indexed dataset, bytes32 indexed contentHash, address indexed admin, bytes32 reportHash);

    error NotAContract(address dataset);
    error NotDatasetAdmin(address dataset, address account);
    error ZeroAddress();
    error AlreadyRevoked(address dataset, address contributor);
    error NotRevoked(address dataset, address contributor);
    error NotContributorsItem(bytes32 contentHash, address contributor);
    error NotHeld(bytes32 contentHash);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);

    modifier onlyDatasetAdmin(address dataset) {
        if (dataset.code.length == 0) revert NotAContract(dataset);
        // A view call into the dataset, before any state changes.
        if (!IAccessControl(dataset).hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotDatasetAdmin(dataset, msg.sender);
        }
        _;
    }

    /// @notice Revoke `contributor` on `dataset`: from now on every item of theirs is held.
    /// @param reasonHash sha256 of the owner's written reason (kept off chain, in the platform's audit log).
    function revoke(address dataset, address contributor, bytes32 reasonHash) external onlyDatasetAdmin(dataset) {
        if (contributor == address(0)) revert ZeroAddress();
        Revocation storage revocation = _revocations[dataset][contributor];
        if (revocation.revokedAt != 0) revert AlreadyRevoked(dataset, contributor);
        revocation.revokedAt = uint64(block.timestamp);
        revocation.epoch += 1;
        emit ContributorRevoked(dataset, contributor, msg.sender, reasonHash, revocation.epoch);
    }

    /// @notice Record that these items of the revoked `contributor` are back in quarantine, one event each.
    /// @dev Checks each item's contributor on the dataset, so an admin cannot hold someone else's items
    ///      under this contributor's name. Repeating an item only repeats its event.
    function requarantine(address dataset, address contributor, bytes32[] calldata contentHashes, bytes32 reasonHash)
        external
        onlyDatasetAdmin(dataset)
    {
        if (_revocations[dataset][contributor].revokedAt == 0) revert NotRevoked(dataset, contributor);
        uint256 count = _checkBatch(contentHashes.length);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 contentHash = contentHashes[i];
            if (IDatasetItems(dataset).getItem(contentHash).contributor != contributor) {
                revert NotContributorsItem(contentHash, contributor);
            }
            emit ItemRequarantined(dataset, contentHash, contributor, reasonHash);
        }
    }

    /// @notice Release held items after a new check; `reportHash` names the check's report.
    function clear(address dataset, bytes32[] calldata contentHashes, bytes32 reportHash)
        external
        onlyDatasetAdmin(dataset)
    {
        uint256 count = _checkBatch(contentHashes.length);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 contentHash = contentHashes[i];
            address contributor = IDatasetItems(dataset).getItem(contentHash).contributor;
            Revocation memory revocation = _revocations[dataset][contributor];
            if (revocation.revokedAt == 0 || _clearedEpoch[dataset][contentHash] == revocation.epoch) {
                revert NotHeld(contentHash);
            }
            _clearedEpoch[dataset][contentHash] = revocation.epoch;
            emit ItemCleared(dataset, contentHash, msg.sender, reportHash);
        }
    }

    /// @notice Lift the revocation of `contributor`: their items are no longer held.
    function reinstate(address dataset, address contributor, bytes32 reasonHash) external onlyDatasetAdmin(dataset) {
        Revocation storage revocation = _revocations[dataset][contributor];
        if (revocation.revokedAt == 0) revert NotRevoked(dataset, contributor);
        revocation.revokedAt = 0;
        emit ContributorReinstated(dataset, contributor, msg.sender, reasonHash);
    }

    // ---------------------------------------------------------------- reads

    /// @notice When `contributor`'s current revocation on `dataset` began, or zero when they are not revoked.
    function revokedAt(address dataset, address contributor) external view returns (uint64) {
        return _revocations[dataset][contributor].revokedAt;
    }

    /// @notice Whether the item must be treated as quarantined: its contributor is revoked and the item
    ///         was not cleared since. Reverts with the dataset's UnknownItem for an item it does not have.
    function isHeld(address dataset, bytes32 contentHash) external view returns (bool) {
        address contributor = IDatasetItems(dataset).getItem(contentHash).contributor;
        Revocation memory revocation = _revocations[dataset][contributor];
        return revocation.revokedAt != 0 && _clearedEpoch[dataset][contentHash] != revocation.epoch;
    }

    function _checkBatch(uint256 size) private pure returns (uint256) {
        if (size == 0) revert EmptyBatch();
        if (size > MAX_BATCH) revert BatchTooLarge(size, MAX_BATCH);
        return size;
    }
}

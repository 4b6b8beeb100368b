// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title SeBRUS ReleaseRegistry
/// @notice One registry for the releases of every dataset: each release is a frozen, versioned set of
///         approved items, committed to by the Merkle root of its (contentHash, label) pairs.
/// @dev A separate contract, so that no deployed {Dataset} changes. A release is published by an
///      account holding the dataset's DEFAULT_ADMIN_ROLE (its owner) and can never be changed or
///      withdrawn afterwards; versions strictly increase per dataset (gaps are allowed).
///
///      The registry does not check that `dataset` was created by the platform's DatasetManager: a
///      contract that answers `hasRole` as it likes can only publish releases under its own address,
///      so consumers must know which dataset address they trust. Nothing here loops.
contract ReleaseRegistry {
    bytes32 private constant DEFAULT_ADMIN_ROLE = 0x00;

    /// @dev Four storage slots: three hashes, then count, time and publisher packed together.
    struct Release {
        /// @notice Root of the release's Merkle tree (construction documented in sebrus.releases.merkle).
        bytes32 merkleRoot;
        /// @notice sha256 of the release's canonical manifest (every item's sha256 and label).
        bytes32 manifestHash;
        /// @notice sha256 of the canonical list of items removed since the previous release, with the
        ///         reasons; zero when nothing was removed.
        bytes32 removedHash;
        uint32 itemCount;
        uint64 publishedAt;
        address publisher;
    }

    mapping(address dataset => mapping(uint64 version => Release)) private _releases;
    mapping(address dataset => uint64) private _latest;

    event ReleasePublished(
        address indexed dataset,
        uint64 indexed version,
        address indexed publisher,
        bytes32 merkleRoot,
        uint32 itemCount,
        bytes32 manifestHash,
        bytes32 removedHash
    );

    error NotAContract(address dataset);
    error NotDatasetAdmin(address dataset, address account);
    error VersionNotIncreasing(address dataset, uint64 version, uint64 latest);
    error EmptyRelease();
    error UnknownRelease(address dataset, uint64 version);

    /// @notice Publish release `version` of `dataset`; callable only by the dataset's admin.
    /// @param merkleRoot Root over the release's (contentHash, label) pairs; never zero.
    /// @param itemCount How many items the release holds; at least one.
    /// @param manifestHash sha256 of the canonical manifest, so a download can be checked against it.
    /// @param removedHash sha256 of the removal notes (which items left and why), or zero.
    function publish(
        address dataset,
        uint64 version,
        bytes32 merkleRoot,
        uint32 itemCount,
        bytes32 manifestHash,
        bytes32 removedHash
    ) external {
        if (dataset.code.length == 0) revert NotAContract(dataset);
        // A view call into the dataset, made before any state changes; it cannot re-enter a write.
        if (!IAccessControl(dataset).hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotDatasetAdmin(dataset, msg.sender);
        }
        uint64 latest = _latest[dataset];
        if (version <= latest) revert VersionNotIncreasing(dataset, version, latest);
        if (merkleRoot == bytes32(0) || itemCount == 0) revert EmptyRelease();

        _latest[dataset] = version;
        _releases[dataset][version] = Release({
            merkleRoot: merkleRoot,
            manifestHash: manifestHash,
            removedHash: removedHash,
            itemCount: itemCount,
            publishedAt: uint64(block.timestamp),
            publisher: msg.sender
        });
        emit ReleasePublished(dataset, version, msg.sender, merkleRoot, itemCount, manifestHash, removedHash);
    }

    /// @notice Release `version` of `dataset`; reverts with {UnknownRelease} if it was never published.
    function release(address dataset, uint64 version) external view returns (Release memory) {
        Release memory found = _releases[dataset][version];
        if (found.merkleRoot == bytes32(0)) revert UnknownRelease(dataset, version);
        return found;
    }

    /// @notice The newest published version of `dataset`, or zero when it has none.
    function latestVersion(address dataset) external view returns (uint64) {
        return _latest[dataset];
    }
}

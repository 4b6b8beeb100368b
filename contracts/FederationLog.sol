// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title SeBRUS FederationLog
/// @notice The provenance of federated training on a dataset: who took part in each round, whom the
///         server left out of the aggregate, and what was aggregated, one transaction per round; then
///         the hash of the final model, once.
/// @dev A federation is opened by an account holding the dataset's DEFAULT_ADMIN_ROLE (its owner), who
///      names the federation's operator: the account the Flower server's platform signs rounds with.
///      Only that operator records rounds and the final model, so the owner's key need not sit beside
///      the training server. Round indices strictly increase (gaps are allowed: a round where no client
///      answered is not recorded). Excluded wallets travel as calldata, bounded by {MAX_EXCLUDED}, and
///      are named in the round's event; storage keeps only the federation's summary, so nothing loops
///      over storage. Participants are committed to by a root (sha256 of their sorted list, see
///      sebrus.services.federation.anchoring) and a count, because a round may have many of them.
///
///      As with ReleaseRegistry, `dataset` is not checked against the platform's DatasetManager: a
///      contract answering `hasRole` as it likes can only open federations under its own address.
contract FederationLog {
    bytes32 private constant DEFAULT_ADMIN_ROLE = 0x00;

    /// @notice Most excluded wallets one round may name.
    uint256 public constant MAX_EXCLUDED = 256;

    /// @dev Four slots: dataset + lastRound + roundCount, operator + maxRounds + openedAt, the config
    ///      hash, and the final model hash (zero until recorded).
    struct Federation {
        address dataset;
        uint32 lastRound;
        uint32 roundCount;
        address operator;
        uint32 maxRounds;
        uint64 openedAt;
        bytes32 configHash;
        bytes32 modelSha256;
    }

    uint256 private _count;
    mapping(uint256 federationId => Federation) private _federations;

    event FederationOpened(
        uint256 indexed federationId,
        address indexed dataset,
        address indexed operator,
        address admin,
        bytes32 configHash,
        uint32 maxRounds
    );
    event RoundRecorded(
        uint256 indexed federationId,
        uint32 indexed roundIndex,
        bytes32 participantsRoot,
        uint32 participantCount,
        address[] excluded,
        bytes32 aggregateSha256,
        bytes32 lossReportsSha256
    );
    event FinalModelRecorded(uint256 indexed federationId, bytes32 modelSha256);

    error NotAContract(address dataset);
    error NotDatasetAdmin(address dataset, address account);
    error ZeroAddress();
    error BadMaxRounds(uint32 maxRounds);
    error UnknownFederation(uint256 federationId);
    error NotOperator(uint256 federationId, address account);
    error RoundNotIncreasing(uint256 federationId, uint32 roundIndex, uint32 lastRound);
    error RoundOutOfRange(uint256 federationId, uint32 roundIndex, uint32 maxRounds);
    error TooManyExcluded(uint256 size, uint256 max);
    error ExcludedNotParticipants(uint256 excluded, uint32 participants);
    error ZeroHash();
    error ModelAlreadyRecorded(uint256 federationId);
    error NoRounds(uint256 federationId);

    /// @notice Open a federation on `dataset`; callable only by the dataset's admin.
    /// @param operator Who records the rounds and the final model.
    /// @param configHash sha256 of the canonical JSON of the federation's configuration.
    /// @param maxRounds How many rounds the federation may record (1..500 on the platform).
    /// @return federationId The new federation's id (1, 2, ...; shared by every dataset).
    function open(address dataset, address operator, bytes32 configHash, uint32 maxRounds)
        external
        returns (uint256 federationId)
    {
        if (dataset.code.length == 0) revert NotAContract(dataset);
        // A view call into the dataset, made before any state changes; it cannot re-enter a write.
        if (!IAccessControl(dataset).hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert NotDatasetAdmin(dataset, msg.sender);
        }
        if (operator == address(0)) revert ZeroAddress();
        if (maxRounds == 0) revert BadMaxRounds(maxRounds);
        if (configHash == bytes32(0)) revert ZeroHash();
        federationId = ++_count;
        _federations[federationId] = Federation({
            dataset: dataset,
            lastRound: 0,
            roundCount: 0,
            operator: operator,
            maxRounds: maxRounds,
            openedAt: uint64(block.timestamp),
            configHash: configHash,
            modelSha256: bytes32(0)
        });
        emit FederationOpened(federationId, dataset, operator, msg.sender, configHash, maxRounds);
    }

    /// @notice Record round `roundIndex` of a federation: one transaction, one event.
    /// @param participantsRoot sha256 over the round's participants (construction in the platform docs).
    /// @param participantCount How many wallets sent a well-formed update.
    /// @param excluded The wallets left out of the aggregate; at most {MAX_EXCLUDED}, never more than
    ///        the participants.
    function recordRound(
        uint256 federationId,
        uint32 roundIndex,
        bytes32 participantsRoot,
        uint32 participantCount,
        address[] calldata excluded,
        bytes32 aggregateSha256,
        bytes32 lossReportsSha256
    ) external {
        Federation storage fed = _operated(federationId);
        if (fed.modelSha256 != bytes32(0)) revert ModelAlreadyRecorded(federationId);
        if (roundIndex <= fed.lastRound) {
            revert RoundNotIncreasing(federationId, roundIndex, fed.lastRound);
        }
        if (roundIndex > fed.maxRounds) revert RoundOutOfRange(federationId, roundIndex, fed.maxRounds);
        if (excluded.length > MAX_EXCLUDED) revert TooManyExcluded(excluded.length, MAX_EXCLUDED);
        if (excluded.length > participantCount) revert ExcludedNotParticipants(excluded.length, participantCount);
        if (aggregateSha256 == bytes32(0) || lossReportsSha256 == bytes32(0)) revert ZeroHash();
        fed.lastRound = roundIndex;
        fed.roundCount += 1;
        emit RoundRecorded(
            federationId, roundIndex, participantsRoot, participantCount, excluded, aggregateSha256, lossReportsSha256
        );
    }

    /// @notice Record the sha256 of the final model; once, after at least one round.
    function recordFinalModel(uint256 federationId, bytes32 modelSha256) external {
        Federation storage fed = _operated(federationId);
        if (modelSha256 == bytes32(0)) revert ZeroHash();
        if (fed.modelSha256 != bytes32(0)) revert ModelAlreadyRecorded(federationId);
        if (fed.roundCount == 0) revert NoRounds(federationId);
        fed.modelSha256 = modelSha256;
        emit FinalModelRecorded(federationId, modelSha256);
    }

    // ---------------------------------------------------------------- reads

    /// @notice A federation's summary; reverts with {UnknownFederation} for an id never opened.
    function federation(uint256 federationId) external view returns (Federation memory) {
        Federation memory found = _federations[federationId];
        if (found.dataset == address(0)) revert UnknownFederation(federationId);
        return found;
    }

    /// @notice How many federations were opened (ids run from 1 to this).
    function federationCount() external view returns (uint256) {
        return _count;
    }

    function _operated(uint256 federationId) private view returns (Federation storage fed) {
        fed = _federations[federationId];
        if (fed.dataset == address(0)) revert UnknownFederation(federationId);
        if (msg.sender != fed.operator) revert NotOperator(federationId, msg.sender);
    }
}

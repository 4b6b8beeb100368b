// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title SeBRUS Dataset
/// @notice One crowdsourced image dataset: a fixed label set and one record per contributed image
///         (the paper's DataImage), keyed by the sha256 of the image bytes.
/// @dev Deployed once as an implementation and then as EIP-1167 clones by {DatasetManager}, so every
///      value that differs between datasets lives in storage and is set by {initialize}.
///
///      Records are keyed by content hash rather than by a running index: the key doubles as the
///      duplicate check, and one packed storage slot per item keeps anchoring cheap. Clients recover
///      the order of contributions from the {ItemSubmitted} events.
///
///      Status moves forward only:
///        Pending -> Quarantined            (DETECTOR_ROLE, with the hash of the detection report)
///        Pending | Quarantined -> Approved | Rejected   (RESOLVER_ROLE: the review contract)
///      Nothing ever moves an item back, so a resolved outcome is final.
contract Dataset is AccessControl, Initializable, EIP712 {
    /// @notice The platform's oracle account, which may quarantine items it finds suspicious.
    bytes32 public constant DETECTOR_ROLE = keccak256("DETECTOR_ROLE");
    /// @notice The account (normally the review contract) that settles items as Approved or Rejected.
    bytes32 public constant RESOLVER_ROLE = keccak256("RESOLVER_ROLE");

    /// @notice Most items one batch call may anchor; keeps every batch well inside a block.
    uint256 public constant MAX_BATCH = 256;
    /// @notice Most labels a dataset may declare; bounds the loop in {initialize}.
    uint256 public constant MAX_LABELS = 1024;
    /// @notice Longest label, in bytes.
    uint256 public constant MAX_LABEL_BYTES = 64;

    /// @notice EIP-712 type a contributor signs so that a relayer may pay for anchoring their image.
    /// @dev No nonce: a content hash can be anchored once per dataset, so a replayed signature always
    ///      fails with {DuplicateItem} ({submitFor}) or is skipped with {ItemSkipped} (batches); the
    ///      domain binds it to this dataset and chain. This lets a
    ///      contributor sign many uploads in parallel.
    bytes32 public constant CONTRIBUTION_TYPEHASH =
        keccak256("Contribution(bytes32 contentHash,uint16 label,address contributor,uint256 deadline)");

    enum Status {
        None,
        Pending,
        Quarantined,
        Approved,
        Rejected
    }

    /// @dev Packs into one storage slot (20 + 8 + 2 + 1 bytes).
    struct Item {
        address contributor;
        uint64 submittedAt;
        uint16 label;
        Status status;
    }

    /// @notice What a contributor anchors: the sha256 of the image bytes and an index into {labels}.
    struct Submission {
        bytes32 contentHash;
        uint16 label;
    }

    /// @notice A submission signed by its contributor and relayed by someone else.
    struct SignedSubmission {
        bytes32 contentHash;
        uint16 label;
        address contributor;
        uint256 deadline;
        bytes signature;
    }

    string public name;
    string public description;
    /// @notice The dataset's owner: the account that last received DEFAULT_ADMIN_ROLE, for as long as
    ///         it holds that role; zero once it renounces or loses it (until the role is granted again).
    /// @dev Kept by {_grantRole} and {_revokeRole}, so it follows the admin role wherever it goes: an
    ///      ownership transfer is `grantRole(DEFAULT_ADMIN_ROLE, next)` then `renounceRole` by the old
    ///      owner. Granting the role to a second admin therefore also makes that account the owner.
    ///      Datasets cloned from implementations before this rule keep their creator here.
    address public owner;
    /// @notice When true every submission must carry the image bytes, which are emitted in
    ///         {ItemPayload} so that the dataset can be rebuilt from the chain alone.
    bool public payloadOnChain;
    /// @notice Number of items anchored so far.
    uint256 public itemCount;

    string[] private _labels;
    mapping(bytes32 contentHash => Item) private _items;

    event DatasetInitialized(address indexed owner, string name, string description, string[] labels, bool payloadOnChain);
    event ItemSubmitted(bytes32 indexed contentHash, address indexed contributor, uint16 label);
    event ItemPayload(bytes32 indexed contentHash, bytes payload);
    event ItemQuarantined(bytes32 indexed contentHash, address indexed detector, bytes32 reportHash);
    event ItemResolved(bytes32 indexed contentHash, Status status);
    /// @notice A batch left out `contentHash` for `contributor` because it is anchored already, by
    ///         `holder` (the contributor of record: `contributor` itself for a retried batch, someone
    ///         else when the hash was taken first, e.g. by a front-runner who saw the pending batch).
    event ItemSkipped(bytes32 indexed contentHash, address indexed contributor, address indexed holder);

    error EmptyLabelSet();
    error TooManyLabels(uint256 count, uint256 max);
    error InvalidLabelName(uint256 index);
    error UnknownLabel(uint16 label, uint256 labelCount);
    error ZeroContentHash();
    error ZeroAddress();
    error DuplicateItem(bytes32 contentHash);
    error UnknownItem(bytes32 contentHash);
    error InvalidStatusTransition(bytes32 contentHash, Status from, Status to);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);
    error PayloadRequired();
    error PayloadNotAllowed();
    error PayloadMismatch(bytes32 contentHash, bytes32 payloadHash);
    error PayloadCountMismatch(uint256 items, uint256 payloads);
    error SignatureExpired(uint256 deadline);
    error InvalidSignature(address contributor);

    /// @dev The implementation itself is never initialised; only clones are.
    constructor() EIP712("SeBRUS Dataset", "1") {
        _disableInitializers();
    }

    /// @notice Set up a freshly cloned dataset. Called once, by {DatasetManager}, in the same
    ///         transaction that creates the clone.
    /// @param detector Account given DETECTOR_ROLE; zero for none (the owner may grant it later).
    function initialize(
        address owner_,
        string calldata name_,
        string calldata description_,
        string[] calldata labels_,
        bool payloadOnChain_,
        address detector
    ) external initializer {
        if (owner_ == address(0)) revert ZeroAddress();
        uint256 count = labels_.length;
        if (count == 0) revert EmptyLabelSet();
        if (count > MAX_LABELS) revert TooManyLabels(count, MAX_LABELS);
        for (uint256 i = 0; i < count; ++i) {
            uint256 size = bytes(labels_[i]).length;
            if (size == 0 || size > MAX_LABEL_BYTES) revert InvalidLabelName(i);
            _labels.push(labels_[i]);
        }
        name = name_;
        description = description_;
        payloadOnChain = payloadOnChain_;
        _grantRole(DEFAULT_ADMIN_ROLE, owner_); // sets {owner}
        if (detector != address(0)) _grantRole(DETECTOR_ROLE, detector);
        emit DatasetInitialized(owner_, name_, description_, labels_, payloadOnChain_);
    }

    // ---------------------------------------------------------------- submissions

    /// @notice Anchor one image as the caller's contribution.
    /// @param payload The image bytes when {payloadOnChain}; empty otherwise.
    function submit(bytes32 contentHash, uint16 label, bytes calldata payload) external {
        _record(contentHash, label, msg.sender, payload);
        itemCount += 1;
    }

    /// @notice Anchor one image on behalf of `contributor`, who signed it (EIP-712 or ERC-1271).
    function submitFor(SignedSubmission calldata signed, bytes calldata payload) external {
        _checkSignature(signed);
        _record(signed.contentHash, signed.label, signed.contributor, payload);
        itemCount += 1;
    }

    /// @notice Anchor many images as the caller's contributions in one transaction. An image that is
    ///         anchored already is skipped with {ItemSkipped} rather than failing the whole batch.
    /// @param payloads Empty, or one image per item when {payloadOnChain}.
    function submitBatch(Submission[] calldata items, bytes[] calldata payloads) external {
        uint256 count = _checkBatch(items.length, payloads.length);
        uint256 recorded = 0;
        for (uint256 i = 0; i < count; ++i) {
            if (_recordOrSkip(items[i].contentHash, items[i].label, msg.sender, _payloadAt(payloads, i))) {
                recorded += 1;
            }
        }
        itemCount += recorded;
    }

    /// @notice Anchor many signed images, possibly from many contributors, in one transaction.
    /// @dev A signed image someone anchored first (anyone may `submit` a hash they saw in a pending
    ///      batch) is skipped with {ItemSkipped} naming its holder, so the rest of the batch is still
    ///      anchored and the relayer can tell its contributor the truth. Signatures are checked first:
    ///      a skipped entry is still one its contributor signed.
    function submitBatchFor(SignedSubmission[] calldata items, bytes[] calldata payloads) external {
        uint256 count = _checkBatch(items.length, payloads.length);
        uint256 recorded = 0;
        for (uint256 i = 0; i < count; ++i) {
            _checkSignature(items[i]);
            if (_recordOrSkip(items[i].contentHash, items[i].label, items[i].contributor, _payloadAt(payloads, i))) {
                recorded += 1;
            }
        }
        itemCount += recorded;
    }

    // ---------------------------------------------------------------- judgement

    /// @notice Hold a pending item back for review because a detector found it suspicious.
    /// @param reportHash sha256 of the detection report that explains why.
    function quarantine(bytes32 contentHash, bytes32 reportHash) external onlyRole(DETECTOR_ROLE) {
        Item storage item = _existing(contentHash);
        if (item.status != Status.Pending) {
            revert InvalidStatusTransition(contentHash, item.status, Status.Quarantined);
        }
        item.status = Status.Quarantined;
        emit ItemQuarantined(contentHash, msg.sender, reportHash);
    }

    /// @notice Settle an open item. Only the resolver (the review contract) may call this.
    function resolve(bytes32 contentHash, bool approved) external onlyRole(RESOLVER_ROLE) {
        Item storage item = _existing(contentHash);
        Status next = approved ? Status.Approved : Status.Rejected;
        if (item.status != Status.Pending && item.status != Status.Quarantined) {
            revert InvalidStatusTransition(contentHash, item.status, next);
        }
        item.status = next;
        emit ItemResolved(contentHash, next);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The record for `contentHash`; reverts with {UnknownItem} when there is none.
    function getItem(bytes32 contentHash) external view returns (Item memory) {
        Item memory item = _items[contentHash];
        if (item.status == Status.None) revert UnknownItem(contentHash);
        return item;
    }

    /// @notice Whether `contentHash` has been anchored here.
    function exists(bytes32 contentHash) external view returns (bool) {
        return _items[contentHash].status != Status.None;
    }

    function labelCount() external view returns (uint256) {
        return _labels.length;
    }

    function labelAt(uint16 index) external view returns (string memory) {
        if (index >= _labels.length) revert UnknownLabel(index, _labels.length);
        return _labels[index];
    }

    /// @notice The whole label set. Bounded by {MAX_LABELS}.
    function labels() external view returns (string[] memory) {
        return _labels;
    }

    /// @notice The EIP-712 digest a contributor signs for {submitFor}.
    function contributionDigest(bytes32 contentHash, uint16 label, address contributor, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(CONTRIBUTION_TYPEHASH, contentHash, label, contributor, deadline)));
    }

    // ---------------------------------------------------------------- internals

    /// @dev {owner} follows DEFAULT_ADMIN_ROLE: a new admin becomes the owner.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == DEFAULT_ADMIN_ROLE) owner = account;
    }

    /// @dev {owner} follows DEFAULT_ADMIN_ROLE: an owner that gives up the role is owner no longer.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == DEFAULT_ADMIN_ROLE && account == owner) owner = address(0);
    }

    function _record(bytes32 contentHash, uint16 label, address contributor, bytes calldata payload) private {
        if (contentHash == bytes32(0)) revert ZeroContentHash();
        if (label >= _labels.length) revert UnknownLabel(label, _labels.length);
        Item storage item = _items[contentHash];
        if (item.status != Status.None) revert DuplicateItem(contentHash);
        if (payloadOnChain) {
            if (payload.length == 0) revert PayloadRequired();
            bytes32 payloadHash = sha256(payload);
            if (payloadHash != contentHash) revert PayloadMismatch(contentHash, payloadHash);
        } else if (payload.length != 0) {
            revert PayloadNotAllowed();
        }
        item.contributor = contributor;
        item.submittedAt = uint64(block.timestamp);
        item.label = label;
        item.status = Status.Pending;
        emit ItemSubmitted(contentHash, contributor, label);
        if (payload.length != 0) emit ItemPayload(contentHash, payload);
    }

    /// @dev {_record} for batches: false, with {ItemSkipped}, when the hash is anchored already. The
    ///      label is still checked, so a batch with a malformed entry fails as before.
    function _recordOrSkip(bytes32 contentHash, uint16 label, address contributor, bytes calldata payload)
        private
        returns (bool)
    {
        Item storage item = _items[contentHash];
        if (contentHash != bytes32(0) && item.status != Status.None) {
            if (label >= _labels.length) revert UnknownLabel(label, _labels.length);
            emit ItemSkipped(contentHash, contributor, item.contributor);
            return false;
        }
        _record(contentHash, label, contributor, payload);
        return true;
    }

    function _checkSignature(SignedSubmission calldata signed) private view {
        if (signed.contributor == address(0)) revert ZeroAddress();
        if (block.timestamp > signed.deadline) revert SignatureExpired(signed.deadline);
        bytes32 digest = contributionDigest(signed.contentHash, signed.label, signed.contributor, signed.deadline);
        if (!SignatureChecker.isValidSignatureNow(signed.contributor, digest, signed.signature)) {
            revert InvalidSignature(signed.contributor);
        }
    }

    function _checkBatch(uint256 items, uint256 payloads) private pure returns (uint256) {
        if (items == 0) revert EmptyBatch();
        if (items > MAX_BATCH) revert BatchTooLarge(items, MAX_BATCH);
        if (payloads != 0 && payloads != items) revert PayloadCountMismatch(items, payloads);
        return items;
    }

    function _payloadAt(bytes[] calldata payloads, uint256 i) private pure returns (bytes calldata) {
        if (payloads.length == 0) return msg.data[0:0];
        return payloads[i];
    }

    function _existing(bytes32 contentHash) private view returns (Item storage item) {
        item = _items[contentHash];
        if (item.status == Status.None) revert UnknownItem(contentHash);
    }
}

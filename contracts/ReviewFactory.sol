// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Dataset} from "./Dataset.sol";
import {Review} from "./Review.sol";

/// @title SeBRUS ReviewFactory
/// @notice Creates one {Review} per dataset and records which review judges which dataset.
/// @dev Deployed beside the DatasetManager without changing it or any dataset: a dataset's owner
///      calls {createReview}, then grants the new review RESOLVER_ROLE on the dataset (only the
///      dataset's admin can grant roles, so that second step is theirs). Clone and initialisation
///      happen in one transaction, so nobody can initialise a review in between.
contract ReviewFactory {
    /// @dev OpenZeppelin AccessControl's admin role, held by a dataset's owner (as in ReleaseRegistry
    ///      and Revocations: an interface cannot carry the constant).
    bytes32 private constant DEFAULT_ADMIN_ROLE = 0x00;

    /// @notice The {Review} implementation every clone delegates to.
    address public immutable reviewImplementation;

    /// @notice The review created for a dataset; zero for none.
    mapping(address dataset => address review) public reviewOf;
    /// @notice The dataset a review judges; zero when `review` was not made here (lets indexers
    ///         recognise review contracts).
    mapping(address review => address dataset) public datasetOf;

    event ReviewCreated(address indexed dataset, address indexed review, address indexed owner);

    error ZeroAddress();
    error NotDatasetAdmin(address dataset, address caller);
    error ReviewExists(address dataset, address review);

    constructor(address implementation) {
        if (implementation == address(0)) revert ZeroAddress();
        reviewImplementation = implementation;
    }

    /// @notice Create the review for `dataset`, owned by the caller, who must administer the dataset.
    /// @param terms Policy version 0, in force for every item until the owner changes it.
    function createReview(address dataset, Review.Terms calldata terms) external returns (address review) {
        if (dataset == address(0)) revert ZeroAddress();
        if (!IAccessControl(dataset).hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) revert NotDatasetAdmin(dataset, msg.sender);
        if (reviewOf[dataset] != address(0)) revert ReviewExists(dataset, reviewOf[dataset]);
        review = Clones.clone(reviewImplementation);
        reviewOf[dataset] = review;
        datasetOf[review] = dataset;
        emit ReviewCreated(dataset, review, msg.sender);
        // The clone is our own fresh contract, so calling it after the effects above is safe.
        Review(review).initialize(Dataset(dataset), msg.sender, terms);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Dataset} from "./Dataset.sol";

/// @title SeBRUS DatasetManager
/// @notice The registry every client starts from: it creates datasets and lists them.
/// @dev Each dataset is an EIP-1167 minimal proxy of one {Dataset} implementation, so creating a
///      dataset costs a small fraction of deploying the full contract again.
contract DatasetManager {
    /// @notice The {Dataset} implementation every clone delegates to.
    address public immutable datasetImplementation;

    address[] private _datasets;

    event DatasetCreated(uint256 indexed id, address indexed dataset, address indexed owner, string name);

    error ZeroAddress();
    error UnknownDataset(uint256 id, uint256 count);

    constructor(address implementation) {
        if (implementation == address(0)) revert ZeroAddress();
        datasetImplementation = implementation;
    }

    /// @notice Create a dataset owned by the caller.
    /// @param labels The label set; contributions name a label by its index in this list.
    /// @param payloadOnChain Whether contributions must carry the image bytes in an event.
    /// @param detector Account given the detector role on the new dataset; zero for none.
    /// @return id The dataset's index in this registry.
    /// @return dataset The new dataset's address.
    function createDataset(
        string calldata name,
        string calldata description,
        string[] calldata labels,
        bool payloadOnChain,
        address detector
    ) external returns (uint256 id, address dataset) {
        dataset = Clones.clone(datasetImplementation);
        id = _datasets.length;
        _datasets.push(dataset);
        emit DatasetCreated(id, dataset, msg.sender, name);
        // The clone is our own fresh contract, so calling it after the effects above is safe.
        Dataset(dataset).initialize(msg.sender, name, description, labels, payloadOnChain, detector);
    }

    /// @notice How many datasets exist (the paper's getDatasetCount).
    function getDatasetCount() external view returns (uint256) {
        return _datasets.length;
    }

    /// @notice The address of dataset `id` (the paper's getDataset).
    function getDataset(uint256 id) external view returns (address) {
        if (id >= _datasets.length) revert UnknownDataset(id, _datasets.length);
        return _datasets[id];
    }
}

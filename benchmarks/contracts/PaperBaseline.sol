// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// A baseline written from the SeBRUS paper's description alone (section III.A.4), used only by
// benchmarks/gas_and_throughput.py and never shipped: DatasetManager deploys a Dataset contract,
// and the Dataset deploys a new DataImage contract per image that holds the image as a base64
// string and its label as a string, both in storage.

contract PaperDataImage {
    string public image;
    string public label;
    bool public approved;
    address public contributor;

    event ImageApproved(address indexed image);

    constructor(string memory image_, string memory label_, address contributor_) {
        image = image_;
        label = label_;
        contributor = contributor_;
    }

    function approve() external {
        approved = true;
        emit ImageApproved(address(this));
    }
}

contract PaperDataset {
    string public name;
    string public description;
    PaperDataImage[] public images;

    event DataImageCreated(address indexed image, address indexed contributor, string label);

    constructor(string memory name_, string memory description_) {
        name = name_;
        description = description_;
    }

    function createDataImage(string memory image, string memory label) external returns (address) {
        PaperDataImage created = new PaperDataImage(image, label, msg.sender);
        images.push(created);
        emit DataImageCreated(address(created), msg.sender, label);
        return address(created);
    }

    function getImageCount() external view returns (uint256) {
        return images.length;
    }
}

contract PaperDatasetManager {
    PaperDataset[] public datasets;

    event DatasetCreated(address indexed dataset, string name);

    function createDataset(string memory name, string memory description) external returns (address) {
        PaperDataset created = new PaperDataset(name, description);
        datasets.push(created);
        emit DatasetCreated(address(created), name);
        return address(created);
    }

    function getDatasetCount() external view returns (uint256) {
        return datasets.length;
    }

    function getDataset(uint256 index) external view returns (address) {
        return address(datasets[index]);
    }
}

"""DatasetManager: creating, listing and cloning datasets, and Dataset.initialize's validation."""

from __future__ import annotations

from eth_utils import keccak

from tests.support.contracts import Chain, events, minimal_proxy_creation_code, minimal_proxy_runtime_code

ZERO = "0x" + "00" * 20
DETECTOR_ROLE = keccak(text="DETECTOR_ROLE")
RESOLVER_ROLE = keccak(text="RESOLVER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32


def test_create_dataset_records_a_clone_owned_by_the_caller(chain: Chain) -> None:
    owner, detector = chain.accounts[5], chain.accounts[6]
    count_before = chain.manager.functions.getDatasetCount().call()
    fn = chain.manager.functions.createDataset("cats", "cat photos", ["tabby", "siamese"], True, detector)
    expected_id, expected_address = fn.call({"from": owner})
    receipt = chain.send(fn, owner)

    (created,) = events(chain.manager, "DatasetCreated", receipt)
    assert created["args"]["id"] == count_before == expected_id
    assert created["args"]["owner"] == owner
    assert created["args"]["name"] == "cats"
    address = created["args"]["dataset"]
    assert address == expected_address
    assert chain.manager.functions.getDatasetCount().call() == count_before + 1
    assert chain.manager.functions.getDataset(count_before).call() == address

    # An EIP-1167 clone of the one implementation, not a full copy.
    assert chain.w3.eth.get_code(address) == minimal_proxy_runtime_code(chain.implementation.address)
    assert chain.manager.functions.datasetImplementation().call() == chain.implementation.address

    dataset = chain.dataset_at(address)
    assert dataset.functions.name().call() == "cats"
    assert dataset.functions.description().call() == "cat photos"
    assert dataset.functions.owner().call() == owner
    assert dataset.functions.payloadOnChain().call() is True
    assert dataset.functions.labels().call() == ["tabby", "siamese"]
    assert dataset.functions.itemCount().call() == 0
    assert dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, owner).call()
    assert dataset.functions.hasRole(DETECTOR_ROLE, detector).call()
    assert not dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, chain.manager.address).call()
    assert not dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, detector).call()
    assert not dataset.functions.hasRole(RESOLVER_ROLE, owner).call()

    (initialized,) = events(dataset, "DatasetInitialized", receipt)
    assert initialized["args"]["owner"] == owner
    assert initialized["args"]["name"] == "cats"
    assert initialized["args"]["description"] == "cat photos"
    assert initialized["args"]["labels"] == ["tabby", "siamese"]
    assert initialized["args"]["payloadOnChain"] is True


def test_create_dataset_without_detector_grants_the_role_to_nobody(chain: Chain) -> None:
    dataset = chain.create_dataset(chain.accounts[5], detector=ZERO)
    assert not dataset.functions.hasRole(DETECTOR_ROLE, ZERO).call()
    assert dataset.functions.getRoleAdmin(DETECTOR_ROLE).call() == DEFAULT_ADMIN_ROLE


def test_datasets_get_consecutive_ids_and_distinct_addresses(chain: Chain) -> None:
    start = chain.manager.functions.getDatasetCount().call()
    made = [chain.create_dataset(chain.accounts[1], name=f"set {i}") for i in range(3)]
    assert chain.manager.functions.getDatasetCount().call() == start + 3
    for offset, dataset in enumerate(made):
        assert chain.manager.functions.getDataset(start + offset).call() == dataset.address
        assert dataset.functions.name().call() == f"set {offset}"
    assert len({d.address for d in made}) == 3


def test_get_dataset_beyond_the_end_is_unknown(chain: Chain) -> None:
    count = chain.manager.functions.getDatasetCount().call()
    chain.expect_view_revert(chain.manager.functions.getDataset(count), "UnknownDataset", count, count)
    chain.expect_view_revert(
        chain.manager.functions.getDataset(2**256 - 1), "UnknownDataset", 2**256 - 1, count
    )


def test_manager_refuses_a_zero_implementation(chain: Chain) -> None:
    factory = chain.w3.eth.contract(
        abi=chain.manager_artifact["abi"], bytecode=chain.manager_artifact["bytecode"]
    )
    chain.expect_revert(factory.constructor(ZERO), chain.deployer, "ZeroAddress")


def test_the_implementation_cannot_be_initialised(chain: Chain) -> None:
    fn = chain.implementation.functions.initialize(chain.deployer, "x", "y", ["a"], False, ZERO)
    chain.expect_revert(fn, chain.deployer, "InvalidInitialization")
    assert chain.implementation.functions.owner().call() == ZERO


def test_a_clone_cannot_be_initialised_twice(chain: Chain) -> None:
    dataset = chain.create_dataset(chain.accounts[1])
    attacker = chain.accounts[4]
    fn = dataset.functions.initialize(attacker, "mine", "now", ["a"], False, attacker)
    chain.expect_revert(fn, attacker, "InvalidInitialization")
    assert dataset.functions.owner().call() == chain.accounts[1]
    assert not dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, attacker).call()


def test_initialize_refuses_an_empty_label_set(chain: Chain) -> None:
    fn = chain.manager.functions.createDataset("n", "d", [], False, ZERO)
    count = chain.manager.functions.getDatasetCount().call()
    chain.expect_revert(fn, chain.accounts[1], "EmptyLabelSet")
    assert chain.manager.functions.getDatasetCount().call() == count


def test_initialize_refuses_too_many_labels(chain: Chain) -> None:
    labels = [str(i) for i in range(1025)]
    fn = chain.manager.functions.createDataset("n", "d", labels, False, ZERO)
    chain.expect_revert(fn, chain.accounts[1], "TooManyLabels", 1025, 1024)


def test_initialize_accepts_labels_at_the_length_limit(chain: Chain) -> None:
    longest = "x" * 64
    dataset = chain.create_dataset(chain.accounts[1], labels=["a", longest])
    assert dataset.functions.labelAt(1).call() == longest


def test_initialize_refuses_empty_and_overlong_label_names(chain: Chain) -> None:
    for labels, bad_index in ((["ok", ""], 1), (["", "ok"], 0), (["ok", "fine", "y" * 65], 2)):
        fn = chain.manager.functions.createDataset("n", "d", labels, False, ZERO)
        chain.expect_revert(fn, chain.accounts[1], "InvalidLabelName", bad_index)


def test_initialize_refuses_a_zero_owner(chain: Chain) -> None:
    # The manager always passes msg.sender, so reach the check through a clone nobody initialised.
    clone = chain.dataset_at(chain.deploy_raw(minimal_proxy_creation_code(chain.implementation.address)))
    fn = clone.functions.initialize(ZERO, "n", "d", ["a"], False, ZERO)
    chain.expect_revert(fn, chain.deployer, "ZeroAddress")
    # ... and the same clone still accepts a valid first initialisation.
    chain.send(clone.functions.initialize(chain.accounts[1], "n", "d", ["a"], False, ZERO), chain.deployer)
    assert clone.functions.owner().call() == chain.accounts[1]

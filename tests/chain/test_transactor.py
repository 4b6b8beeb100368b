"""The Transactor's own choices, identical in effect on the embedded chain and on anvil."""

from __future__ import annotations

from web3 import Web3

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.transactor import FIXED_PRIORITY_FEE, Transactor, calldata
from tests.support.chain import ChainKit


def test_the_tip_is_the_nodes_own_on_rpc_and_fixed_on_the_embedded_chain(chain: ChainKit) -> None:
    fees = chain.ledger.fee_suggestion()
    w3 = chain.ledger.transactor.w3
    expected = FIXED_PRIORITY_FEE if chain.backend == "embedded" else int(w3.eth.max_priority_fee)
    assert fees["maxPriorityFeePerGas"] == expected
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    assert fees["maxFeePerGas"] >= base + expected


def test_gas_used_between_adds_up_the_blocks_receipts(chain: ChainKit) -> None:
    sender = chain.funded_account()
    transactor = chain.ledger.transactor
    first = transactor.transfer(sender, chain.handle.operators.deployer.address, 1)
    second = transactor.transfer(sender, chain.handle.operators.deployer.address, 1)
    used = transactor.gas_used_between(first.block_number, second.block_number)
    assert used >= first.gas_used + second.gas_used
    if chain.backend == "embedded":  # one transaction a block
        assert used == first.gas_used + second.gas_used


def test_calldata_is_the_selector_then_the_encoded_arguments(chain: ChainKit) -> None:
    abi = load_artifact("DatasetManager").abi
    manager = chain.ledger.transactor.contract(chain.ledger.deployment.manager, abi)
    data = calldata(manager, "getDataset", (3,))
    assert data == "0x" + Web3.keccak(text="getDataset(uint256)")[:4].hex() + (3).to_bytes(32, "big").hex()


def test_a_tester_provider_gets_the_fixed_tip_without_asking() -> None:
    transactor = Transactor(Web3(Web3.EthereumTesterProvider()), serialize=True)
    with transactor.exclusive():
        assert transactor.fees()["maxPriorityFeePerGas"] == FIXED_PRIORITY_FEE

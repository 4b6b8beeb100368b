"""The Transactor's own choices, identical in effect on the embedded chain and on anvil."""

from __future__ import annotations

import pytest
from web3 import Web3

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import InvalidInput
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


def test_a_raw_transaction_from_one_of_our_own_keys_does_not_make_us_reuse_its_nonce(chain: ChainKit) -> None:
    """A wallet holding an operator key spends the nonce our counter would hand out next."""
    transactor = chain.ledger.transactor
    sender = chain.funded_account()
    transactor.transfer(sender, chain.handle.operators.deployer.address, 1)  # seeds our counter
    nonce = transactor.w3.eth.get_transaction_count(sender.address, "pending")
    fees = chain.ledger.fee_suggestion()
    signed = sender.sign_transaction(
        {
            "to": sender.address,
            "value": 1,
            "gas": 21_000,
            "nonce": nonce,
            "chainId": transactor.chain_id,
            **fees,
        }
    )
    sent = transactor.send_raw(signed.raw_transaction)
    assert transactor.w3.eth.wait_for_transaction_receipt(sent)["status"] == 1  # type: ignore[arg-type]
    after = transactor.transfer(sender, chain.handle.operators.deployer.address, 1)
    assert after.block_number >= 1
    assert transactor.w3.eth.get_transaction_count(sender.address, "pending") == nonce + 2


def test_bytes_that_are_not_a_transaction_are_invalid_input(chain: ChainKit) -> None:
    with pytest.raises(InvalidInput, match="not a signed transaction"):
        chain.ledger.transactor.send_raw(b"\x02\x01")

"""The server's fast contribution signatures are byte for byte eth-account's typed-data signatures."""

from __future__ import annotations

import random

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from sebrus.chain.signing import contribution_typed_data, recover_contributor, sign_contribution


@pytest.mark.parametrize("seed", range(25))
def test_the_fast_signature_equals_the_typed_data_signature(seed: int) -> None:
    rng = random.Random(seed)
    signer = Account.from_key(rng.randbytes(32))
    chain_id = rng.choice([1, 31337, rng.randrange(1, 2**63)])
    dataset = Account.from_key(rng.randbytes(32)).address
    content_hash = rng.randbytes(32)
    label = rng.randrange(0, 2**16)
    deadline = rng.randrange(0, 2**64)
    typed = contribution_typed_data(
        chain_id=chain_id,
        dataset=dataset,
        content_hash=content_hash,
        label=label,
        contributor=signer.address,
        deadline=deadline,
    )
    reference = bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)
    fast = sign_contribution(
        signer, chain_id=chain_id, dataset=dataset, content_hash=content_hash, label=label, deadline=deadline
    )
    assert fast == reference
    assert (
        recover_contributor(
            fast,
            chain_id=chain_id,
            dataset=dataset,
            content_hash=content_hash,
            label=label,
            contributor=signer.address,
            deadline=deadline,
        )
        == signer.address
    )


def test_out_of_range_fields_are_refused() -> None:
    signer = Account.create()
    with pytest.raises(ValueError):
        sign_contribution(signer, chain_id=1, dataset=signer.address, content_hash=b"x", label=1, deadline=1)
    with pytest.raises(ValueError):
        sign_contribution(
            signer, chain_id=1, dataset=signer.address, content_hash=bytes(32), label=2**16, deadline=1
        )

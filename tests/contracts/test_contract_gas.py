"""Gas per anchored item. Gas is deterministic, so upper bounds are safe to assert; they catch a
change that makes anchoring dearer (a new storage slot per item costs ~20k and would trip them).

Run with ``-s`` (or read the captured output) to see the figures.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.support.contracts import Chain, content_hash, signed_submission, signer

BATCH = 100

# Measured (solc 0.8.37, viaIR, 200 runs, cancun): 76,248 / 59,160 / 69,307 / 25,973 / 36,507 / 68,383,
# then given about 10% headroom.
MAX_GAS = {
    "first submit in a dataset": 84_000,
    "submit": 65_000,
    "submitFor": 76_000,
    "submitBatch per item": 29_000,
    "submitBatchFor per item": 40_000,
    "submit with 300-byte payload": 76_000,
}


@pytest.fixture(scope="module")
def gas_figures(chain: Chain) -> dict[str, float]:
    owner, contributor, relayer = chain.accounts[1], chain.accounts[3], chain.accounts[5]
    dataset = chain.create_dataset(owner)
    deadline = chain.latest_timestamp() + 3600
    figures: dict[str, float] = {}

    # The first item also turns itemCount from zero to non-zero (a one-off 20k), so measure after it.
    figures["first submit in a dataset"] = chain.send(
        dataset.functions.submit(content_hash("gas 0"), 0, b""), contributor
    )["gasUsed"]
    figures["submit"] = chain.send(dataset.functions.submit(content_hash("gas 1"), 1, b""), contributor)[
        "gasUsed"
    ]
    signed = signed_submission(signer(1), dataset.address, chain.chain_id, content_hash("gas 2"), 1, deadline)
    figures["submitFor"] = chain.send(dataset.functions.submitFor(signed, b""), relayer)["gasUsed"]

    items = [(content_hash(f"gas batch {i}"), i % 3) for i in range(BATCH)]
    receipt = chain.send(dataset.functions.submitBatch(items, []), contributor)
    figures["submitBatch per item"] = receipt["gasUsed"] / BATCH

    many = [
        signed_submission(
            signer(i), dataset.address, chain.chain_id, content_hash(f"gas for {i}"), 0, deadline
        )
        for i in range(BATCH)
    ]
    receipt = chain.send(dataset.functions.submitBatchFor(many, []), relayer)
    figures["submitBatchFor per item"] = receipt["gasUsed"] / BATCH

    payload_set = chain.create_dataset(owner, payload_on_chain=True)
    image = bytes(range(256)) + bytes(44)  # 300 bytes, the size of a small digit PNG
    chain.send(payload_set.functions.submit(content_hash(b"warm"), 0, b"warm"), contributor)
    receipt = chain.send(payload_set.functions.submit(hashlib.sha256(image).digest(), 0, image), contributor)
    figures["submit with 300-byte payload"] = receipt["gasUsed"]
    return figures


def test_gas_per_item_is_recorded_and_bounded(
    gas_figures: dict[str, float], capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print(f"\ngas per anchored item (batches of {BATCH}):")
        for name, gas in gas_figures.items():
            print(f"  {name:<30} {gas:>10,.0f}")
    for name, bound in MAX_GAS.items():
        assert gas_figures[name] <= bound, f"{name} now costs {gas_figures[name]:,.0f} gas, above {bound:,}"


def test_batching_is_cheaper_than_single_submissions(gas_figures: dict[str, float]) -> None:
    assert gas_figures["submitBatch per item"] < 0.6 * gas_figures["submit"]
    assert gas_figures["submitBatchFor per item"] < gas_figures["submitFor"]

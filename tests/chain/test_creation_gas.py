"""A dataset's creation is bounded in gas before anything is sent, and the refusal says what fits.

The gas model in ``sebrus.chain.creation_gas`` answers without spending chain time; this checks it
against the node's own estimate for the shapes that drive it (short, 32-byte and 64-byte labels, a
long name and description), so a contract change that makes creation dearer fails here first.
"""

from __future__ import annotations

import pytest

from sebrus.chain.creation_gas import labels_that_fit, predicted_creation_gas
from sebrus.chain.errors import CreationTooExpensive
from sebrus.primitives import DATASET_MAX_LABEL_BYTES, DATASET_MAX_LABELS
from tests.support.chain import ChainKit


def labels(count: int, size: int) -> list[str]:
    return [str(i).rjust(size, "x") for i in range(count)]


SHAPES = {
    "one short label": ("n", "d", labels(1, 1)),
    "short labels": ("name", "a dataset", labels(20, 10)),
    "31-byte labels": ("n", "", labels(20, 31)),
    "32-byte labels": ("n", "", labels(20, 32)),
    "64-byte labels": ("n", "", labels(20, DATASET_MAX_LABEL_BYTES)),
    "long name and description": ("n" * 128, "d" * 3000, labels(5, 8)),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_model_is_above_the_nodes_estimate_by_less_than_a_tenth(chain: ChainKit, shape: str) -> None:
    name, description, names = SHAPES[shape]
    owner = chain.funded_account()
    detector = chain.handle.operators.detector.address
    estimate = chain.ledger.estimate_creation_gas(owner, name, description, names, detector)
    assert estimate is not None
    predicted = predicted_creation_gas(name, description, names)
    assert estimate <= predicted <= estimate * 1.10, (shape, estimate, predicted)


def test_a_creation_over_the_bound_is_refused_saying_how_many_labels_fit(chain: ChainKit) -> None:
    owner = chain.funded_account()
    wanted = labels(120, 12)
    bound = 2_000_000
    count_before = chain.ledger.dataset_count()
    with pytest.raises(CreationTooExpensive) as refused:
        chain.dataset(owner, name="too many", labels=tuple(wanted), max_gas=bound)
    fits = refused.value.fits
    assert 0 < fits < len(wanted) and fits == labels_that_fit("too many", "test dataset", wanted, bound)
    assert f"which fits {fits} of these labels" in str(refused.value)
    assert chain.ledger.dataset_count() == count_before  # nothing was sent

    created = chain.dataset(owner, name="what fits", labels=tuple(wanted[:fits]), max_gas=bound)
    assert len(created.labels) == fits


def test_the_contracts_largest_label_set_is_refused_before_the_block_limit_is_hit(chain: ChainKit) -> None:
    """1,000 labels pass the contract's own limits but need more gas than a block holds: refused
    up front (the API answers 400), not sent to fail (the API used to answer 500)."""
    owner = chain.funded_account()
    block_limit = chain.ledger.transactor.block_gas_limit()
    big = labels(1000, 32)
    assert len(big) <= DATASET_MAX_LABELS
    with pytest.raises(CreationTooExpensive) as refused:
        chain.dataset(owner, name="imagenet-ish", labels=tuple(big))
    assert refused.value.bound == block_limit * 9 // 10
    assert refused.value.fits == labels_that_fit("imagenet-ish", "test dataset", big, refused.value.bound)

"""What creating a dataset costs in gas, before asking the chain, and how many labels fit a budget.

``createDataset`` deploys a clone and stores the name, the description and every label as Solidity
strings, so its gas grows with them: a label of up to 31 bytes shares its length slot (about 27,000
gas), a longer one takes its length slot plus one 32-byte slot per 32 bytes (about 24,300 more
each), and every byte of calldata and event data costs a little. The constants below were measured
on the shipped contracts (``tests/chain/test_creation_gas.py`` checks that the model stays above the
node's own estimate by less than 10%), so a request can be refused, with the number of labels that
would fit, without an estimate that costs as much chain time as the transaction itself.

The node's estimate stays the deciding figure for what is sent; this model only answers early and
says what fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CREATE_BASE_GAS = 300_000  # the clone, its initialisation and the manager's bookkeeping
LABEL_GAS = 27_000  # one label: an array slot holding a short string
SLOT_GAS = 24_300  # each 32-byte slot of a string longer than 31 bytes
BYTE_GAS = 16  # calldata and event data per byte


def string_slots(size: int) -> int:
    """Storage slots a Solidity string of ``size`` bytes needs beyond its length slot."""
    return 0 if size <= 31 else math.ceil(size / 32)


def string_gas(text: str) -> int:
    size = len(text.encode())
    return SLOT_GAS * string_slots(size) + BYTE_GAS * size


def label_gas(label: str) -> int:
    return LABEL_GAS + string_gas(label)


def predicted_creation_gas(name: str, description: str, labels: Sequence[str]) -> int:
    """An upper estimate of ``createDataset``'s gas (within 10% of the node's own estimate)."""
    return CREATE_BASE_GAS + string_gas(name) + string_gas(description) + sum(map(label_gas, labels))


def labels_that_fit(name: str, description: str, labels: Sequence[str], budget: int) -> int:
    """How many of ``labels``, in order, fit in ``budget`` gas with this name and description."""
    spent = CREATE_BASE_GAS + string_gas(name) + string_gas(description)
    fitted = 0
    for label in labels:
        spent += label_gas(label)
        if spent > budget:
            break
        fitted += 1
    return fitted

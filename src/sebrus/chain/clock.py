"""Chain time: when a block was mined, and a safe reading of "now" for deciding what is due.

Review windows are judged by ``block.timestamp``, so the platform asks the chain rather than its own
clock. "Now" is the later of the newest block's time and the wall clock: an idle chain mines no
blocks, yet its next block will carry the current time (py-evm stamps the pending block with the
wall clock; a node does the same), and a chain moved ahead in tests is ahead of the wall clock.
"""

from __future__ import annotations

import time

from sebrus.chain.ledger import Ledger


def block_timestamp(ledger: Ledger, block: int | str = "latest") -> int:
    """Seconds since the epoch at which ``block`` was mined."""
    return int(ledger.transactor.block(block)["timestamp"])


def chain_now(ledger: Ledger) -> int:
    """The earliest time the next block may carry: what a transaction sent now will see, or later."""
    return max(block_timestamp(ledger), int(time.time()))

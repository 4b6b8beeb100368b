"""Typed failures of the ledger.

Callers branch on these rather than on web3's exceptions: ``InvalidInput`` means nothing was sent,
``ContractReverted`` means the contract refused (with the custom error's name and arguments).
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base class for every ledger failure."""


class InvalidInput(LedgerError, ValueError):
    """The request was refused before any transaction was sent."""


class CreationTooExpensive(InvalidInput):
    """A new dataset would need more gas than allowed; ``fits`` says how many of its labels would not."""

    def __init__(self, gas: int, bound: int, block_gas_limit: int, labels: int, fits: int) -> None:
        super().__init__(
            f"Creating this dataset needs about {gas:,} gas for its {labels} labels; this server allows "
            f"{bound:,} gas per dataset (a block holds {block_gas_limit:,}), which fits {fits} of these "
            "labels with this name and description. Use fewer or shorter labels, or a shorter description."
        )
        self.gas, self.bound, self.fits = gas, bound, fits


class NotDeployed(LedgerError):
    """The contracts have not been deployed on this chain yet (run ``sebrus chain init``)."""


class UnknownAccount(LedgerError):
    """No signing key is available for the requested account."""


class ContractReverted(LedgerError):
    """A call or transaction was refused by a contract.

    ``error`` is the Solidity custom error's name (``"DuplicateItem"``), or ``"Error"`` /
    ``"Panic"`` for plain reverts; ``arguments`` holds its decoded arguments by name.
    """

    def __init__(self, error: str, arguments: dict[str, Any], tx_hash: str | None = None) -> None:
        self.error = error
        self.arguments = arguments
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_short(v)}" for k, v in arguments.items())
        where = f" (transaction {tx_hash})" if tx_hash else ""
        super().__init__(f"contract refused: {error}({shown}){where}")


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)

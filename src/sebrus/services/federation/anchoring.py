"""The participants root: one hash on chain that commits to every wallet of a round.

A round may have many participants and a transaction should not grow with them, so the chain holds
``sha256`` over the round's participant addresses, as 20 raw bytes each, sorted ascending by those
bytes. The list itself is public (the API and the dataset page show it), so anyone can recompute it.
No participants gives 32 zero bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from eth_utils import to_canonical_address


def participants_root(wallets: Iterable[str]) -> str:
    raw = sorted({to_canonical_address(w) for w in wallets})
    if not raw:
        return "00" * 32
    return hashlib.sha256(b"".join(raw)).hexdigest()

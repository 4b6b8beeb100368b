"""How an outbox entry ends when its image's hash was anchored first by another wallet.

A content hash can be anchored once per dataset, and anyone who sees a pending relayed batch can
``submit`` one of its hashes first (issue 15 item 10). The upload was then never anchored as the
contributor's: its entry must not read "sent" or "confirmed". The relayer (from the batch's
``ItemSkipped`` or a ``DuplicateItem`` revert) and the indexer (from the holder's ``ItemSubmitted``)
both settle it here, so the contributor reads one truthful sentence whichever sees it first.
"""

from __future__ import annotations

from sebrus.db.models import OutboxEntry, OutboxState


def same_wallet(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def mark_taken(entry: OutboxEntry, holder: str) -> None:
    """The entry's hash is held on chain by ``holder``, not by the wallet that signed the entry."""
    entry.state = OutboxState.TAKEN
    entry.error = (
        f"This image was anchored first by {holder}, not by the wallet that signed this upload "
        f"({entry.contributor_address}), so it is not credited to you."
    )

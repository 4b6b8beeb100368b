"""What the latest scan said about one item, for the item's own page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import Item, Scan, ScanResult, ScanState


def latest_result(db: Session, item: Item) -> tuple[Scan, ScanResult] | None:
    """The newest finished scan that gave ``item`` a result, with that result; None if none did.

    A ``new-since-last`` scan gives results only to new items, so the newest scan of the dataset may
    say nothing about an older item: this looks for the newest scan that did.
    """
    row = db.execute(
        select(Scan, ScanResult)
        .join(ScanResult, ScanResult.scan_id == Scan.id)
        .where(ScanResult.item_id == item.id, Scan.state == ScanState.DONE)
        .order_by(Scan.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None

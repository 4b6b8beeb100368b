"""What a revocation holds back, and what its rescan says about the contributor's items.

Releases read :func:`held_back` (every uncleared item of an active revocation is treated as
quarantined); clearing reads :func:`rescan_verdict`; the pages read :func:`hold_states` to show an
item as held, cleared or reinstated beside its chain status. Kept apart from the revoking itself
(``revocations``), which needs the chain: these are database reads only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import (
    Dataset,
    Item,
    Revocation,
    RevocationItem,
    RevocationState,
    Scan,
    ScanResult,
    ScanState,
)

#: The rescan scores the contributor's items above everyone else's at this level: keep them all held.
GROUP_ALPHA = 0.01
#: An unflagged item of the contributor scoring above this quantile of the others' stays held.
ITEM_QUANTILE = 0.95
RELEASE_REASON = 490  # release removal reasons are at most 500 characters


def held_back(db: Session, dataset: Dataset) -> dict[str, str]:
    """Items to treat as quarantined (sha256 -> reason): every uncleared item of an active revocation.

    Items the contributor uploaded after the revocation are held too: the registry holds by contributor.
    """
    held: dict[str, str] = {}
    for revocation in db.scalars(
        select(Revocation).where(
            Revocation.dataset_id == dataset.id, Revocation.state == RevocationState.ACTIVE
        )
    ):
        cleared = set(
            db.scalars(
                select(RevocationItem.content_hash).where(
                    RevocationItem.revocation_id == revocation.id, RevocationItem.cleared.is_(True)
                )
            )
        )
        why = f"contributor {revocation.contributor_address} revoked: {revocation.reason}"[:RELEASE_REASON]
        for content_hash in db.scalars(
            select(Item.content_hash).where(
                Item.dataset_id == dataset.id, Item.contributor_address == revocation.contributor_address
            )
        ):
            if content_hash not in cleared:
                held[content_hash] = why
    return held


@dataclass(frozen=True)
class RescanVerdict:
    """What the revocation's rescan says about the contributor's items."""

    scored: dict[str, float]  # sha256 -> suspicion, for the contributor's items the rescan scored
    flagged: set[str]
    suspicious: set[str]  # unflagged, yet above ITEM_QUANTILE of the other contributors' scores
    group_p: float | None  # one-sided Mann-Whitney U: the contributor's scores above the others'

    @property
    def group_suspicious(self) -> bool:
        return self.group_p is not None and self.group_p < GROUP_ALPHA


def rescan_verdict(db: Session, revocation: Revocation) -> RescanVerdict | None:
    """The revocation's rescan, read for the contributor; None while it has not finished with results."""
    if revocation.rescan_id is None:
        return None
    scan = db.get(Scan, revocation.rescan_id)
    if scan is None or scan.state is not ScanState.DONE or scan.insufficient_data:
        return None
    rows = db.execute(
        select(ScanResult.content_hash, ScanResult.suspicion, ScanResult.flagged, Item.contributor_address)
        .join(Item, Item.id == ScanResult.item_id)
        .where(ScanResult.scan_id == scan.id)
    ).all()
    mine = [(h, float(s), bool(f)) for h, s, f, who in rows if who == revocation.contributor_address]
    others = np.array([float(s) for _, s, _, who in rows if who != revocation.contributor_address])
    flagged = {h for h, _, f in mine if f}
    suspicious: set[str] = set()
    group_p: float | None = None
    if len(others) >= 3 and mine:
        from scipy.stats import mannwhitneyu

        cut = float(np.quantile(others, ITEM_QUANTILE))
        suspicious = {h for h, score, f in mine if not f and score > cut}
        group_p = float(mannwhitneyu([score for _, score, _ in mine], others, alternative="greater").pvalue)
    return RescanVerdict({h: score for h, score, _ in mine}, flagged, suspicious, group_p)


def flagged_by_rescan(db: Session, revocation: Revocation) -> set[str] | None:
    """Hashes the revocation's rescan flagged; None while it has not finished with results."""
    verdict = rescan_verdict(db, revocation)
    return verdict.flagged if verdict is not None else None


@dataclass(frozen=True)
class HoldState:
    """What a revocation means for one item now, for pages that would otherwise show only its status.

    ``state`` is "held" (left out of releases: the contributor is revoked and the item not cleared),
    "cleared" (the contributor is revoked, but the owner released this item) or "reinstated" (the
    revocation was lifted). The Dataset contract never moves a status back, so without this an item
    that no release will contain still reads "Approved".
    """

    state: str
    reason: str
    contributor: str
    since: datetime | None


def hold_states(db: Session, dataset: Dataset, items: Sequence[Item]) -> dict[int, HoldState]:
    """Item id -> its hold state, for the given items whose contributor was ever revoked on ``dataset``.

    One revocation per contributor counts: the latest (a contributor revoked again after a
    reinstatement is held again). Items never touched by a revocation are absent.
    """
    contributors = {item.contributor_address for item in items}
    if not contributors:
        return {}
    latest: dict[str, Revocation] = {}
    for revocation in db.scalars(
        select(Revocation)
        .where(Revocation.dataset_id == dataset.id, Revocation.contributor_address.in_(contributors))
        .order_by(Revocation.id)
    ):
        latest[revocation.contributor_address] = revocation
    if not latest:
        return {}
    cleared = {
        (revocation_id, content_hash): when
        for revocation_id, content_hash, when in db.execute(
            select(
                RevocationItem.revocation_id, RevocationItem.content_hash, RevocationItem.cleared_at
            ).where(
                RevocationItem.revocation_id.in_([r.id for r in latest.values()]),
                RevocationItem.cleared.is_(True),
            )
        )
    }
    states: dict[int, HoldState] = {}
    for item in items:
        last = latest.get(item.contributor_address)
        if last is None:
            continue
        who = last.contributor_address
        if last.state is RevocationState.LIFTED:
            states[item.id] = HoldState("reinstated", last.reason, who, last.lifted_at)
        elif (last.id, item.content_hash) in cleared:
            states[item.id] = HoldState("cleared", last.reason, who, cleared[(last.id, item.content_hash)])
        else:
            states[item.id] = HoldState("held", last.reason, who, last.created_at)
    return states

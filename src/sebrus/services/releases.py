"""Publishing releases: a frozen, versioned set of a dataset's Approved items, committed to on chain.

The chain is written first and the database second. If the process dies in between, the next attempt
finds the release already in the registry and, when it is the same release, records it instead of
publishing again; a different release under that version is a conflict that needs a person.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.releases import ChainRelease, ReleaseLedger
from sebrus.db.models import (
    Dataset,
    Item,
    ItemStatus,
    Release,
    ReleaseItem,
    ReleaseRemoval,
    User,
    Wallet,
    WalletKind,
)
from sebrus.primitives import normalize_sha256
from sebrus.releases.document import Removal, hex32, manifest_hash, removed_hash
from sebrus.releases.merkle import merkle_root
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sebrus.services.incidents.holds import held_back
from sebrus.services.review.chain_link import ChainLink, ChainUnavailable

MAX_NOTES = 4000
MAX_REASON = 500
_publishing: dict[int, threading.Lock] = {}
_publishing_guard = threading.Lock()


@dataclass(frozen=True)
class Published:
    release: Release
    created: bool  # False when the same release was already recorded (a retried request)


@dataclass(frozen=True)
class ReleaseDiff:
    added: list[tuple[str, str]]  # (sha256, label)
    removed: list[Removal]  # reason from the newer release's notes, when it recorded one
    relabelled: list[tuple[str, str, str]]  # (sha256, old label, new label)


def _lock_for(dataset_id: int) -> threading.Lock:
    with _publishing_guard:
        return _publishing.setdefault(dataset_id, threading.Lock())


def publish_release(
    db: Session,
    *,
    link: ChainLink,
    dataset: Dataset,
    user: User,
    notes: str = "",
    exclude: Mapping[str, str] | None = None,
    version: int | None = None,
) -> Published:
    """Publish the dataset's Approved items (less ``exclude``: sha256 -> reason) as its next release."""
    require_owner(db, dataset, user, "publish releases of")
    if len(notes) > MAX_NOTES:
        raise InvalidInput(f"Release notes may be at most {MAX_NOTES} characters.", field="notes")
    excluded = _checked_exclusions(exclude or {})
    # Items of revoked contributors count as quarantined until cleared (services/incidents/revocations.py).
    excluded = {**held_back(db, dataset), **excluded}
    with _lock_for(dataset.id):
        previous = latest_release(db, dataset)
        next_version = previous.version + 1 if previous is not None else 1
        if version is not None:
            existing = find_release(db, dataset, version)
            if existing is not None:
                return _same_or_conflict(db, dataset, existing, excluded)
            if version != next_version:
                raise InvalidInput(
                    f"The next release of this dataset is version {next_version}, not {version}.",
                    field="version",
                )
        included, removals = _contents(db, dataset, previous, excluded)
        pairs = [(i.content_hash, i.label) for i in included]
        root = hex32(merkle_root(pairs))
        if previous is not None and previous.merkle_root == root:
            raise Conflict(f"Nothing changed since version {previous.version}: it holds exactly these items.")
        chain_id = link.ledger.chain_id
        manifest = hex32(manifest_hash(chain_id, dataset.address, next_version, pairs))
        removed = hex32(removed_hash(removals))
        releases = ReleaseLedger(link.ledger)
        wallet = next((w for w in user.wallets if w.kind is WalletKind.CUSTODIAL), None)
        if wallet is None:
            raise PermissionDenied(
                "Publishing needs your custodial wallet, which holds the dataset's admin role."
            )
        tx_hash, block, publisher = _publish_on_chain(
            releases, link, wallet, dataset, next_version, root, len(pairs), manifest, removed
        )
        release = Release(
            dataset_id=dataset.id,
            version=next_version,
            merkle_root=root,
            manifest_hash=manifest,
            removed_hash=removed,
            item_count=len(pairs),
            notes=notes,
            chain_id=chain_id,
            registry_address=releases.registry_address,
            publisher_address=publisher,
            publisher_user_id=user.id,
            tx_hash=tx_hash,
            block_number=block,
        )
        db.add(release)
        db.flush()
        db.add_all(
            ReleaseItem(release_id=release.id, item_id=i.id, content_hash=i.content_hash, label=i.label)
            for i in included
        )
        db.add_all(
            ReleaseRemoval(release_id=release.id, content_hash=r.sha256, label=r.label, reason=r.reason)
            for r in removals
        )
        audit_log.record(
            db,
            "release.publish",
            f"dataset:{dataset.id}",
            actor_user_id=user.id,
            details={
                "version": next_version,
                "merkle_root": root,
                "item_count": len(pairs),
                "tx_hash": tx_hash,
                "removed": [r.sha256 for r in removals],
                "excluded": dict(excluded),
            },
        )
        db.commit()
        return Published(release, created=True)


def _checked_exclusions(exclude: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for sha, reason in exclude.items():
        try:
            key = normalize_sha256(sha)
        except ValueError:
            raise InvalidInput(
                f"Excluded item {sha!r} is not a sha256 (64 hex digits).", field="exclude"
            ) from None
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(
                f"Say why {key} is left out, in 1 to {MAX_REASON} characters.", field="exclude"
            )
        checked[key] = reason
    return checked


def _contents(
    db: Session, dataset: Dataset, previous: Release | None, excluded: dict[str, str]
) -> tuple[list[Item], list[Removal]]:
    items = {i.content_hash: i for i in db.scalars(select(Item).where(Item.dataset_id == dataset.id))}
    unknown = sorted(set(excluded) - set(items))
    if unknown:
        raise InvalidInput(f"Excluded items are not in this dataset: {', '.join(unknown)}.", field="exclude")
    included = sorted(
        (i for i in items.values() if i.status is ItemStatus.APPROVED and i.content_hash not in excluded),
        key=lambda i: i.content_hash,
    )
    if not included:
        raise InvalidInput("Nothing to release: the dataset has no Approved items left to include.")
    kept = {i.content_hash for i in included}
    removals: list[Removal] = []
    if previous is not None:
        for old in db.scalars(select(ReleaseItem).where(ReleaseItem.release_id == previous.id)):
            if old.content_hash in kept:
                continue
            item = items.get(old.content_hash)
            status = item.status.value if item is not None else "unknown"
            reason = excluded.get(old.content_hash) or f"no longer approved (status: {status})"
            removals.append(Removal(old.content_hash, old.label, reason))
    return included, sorted(removals, key=lambda r: r.sha256)


def _publish_on_chain(
    releases: ReleaseLedger,
    link: ChainLink,
    wallet: Wallet,
    dataset: Dataset,
    version: int,
    root: str | None,
    count: int,
    manifest: str | None,
    removed: str | None,
) -> tuple[str | None, int | None, str]:
    """Publish, or adopt an identical release a crashed attempt already put on chain."""
    assert root is not None and manifest is not None
    signer = link.signer_for(wallet)
    try:
        found = releases.release(dataset.address, version)
        if found is not None:
            _require_same(found, root, count, manifest, version)
            return None, None, found.publisher
        result = releases.publish(
            signer,
            dataset.address,
            version=version,
            merkle_root=root,
            item_count=count,
            manifest_hash=manifest,
            removed_hash=removed,
        )
    except ContractReverted as exc:
        if exc.error == "NotDatasetAdmin":
            raise PermissionDenied("Your wallet does not hold this dataset's admin role on chain.") from exc
        if exc.error == "VersionNotIncreasing":
            raise Conflict(
                f"The chain already has a newer release of this dataset than version {version}; "
                "this server did not record it."
            ) from exc
        raise ChainUnavailable(f"The chain refused the release: {exc}") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not publish the release on chain: {exc}") from exc
    return result.tx_hash, result.block_number, signer.address


def _require_same(found: ChainRelease, root: str, count: int, manifest: str, version: int) -> None:
    if (
        hex32(found.merkle_root) != root
        or found.item_count != count
        or hex32(found.manifest_hash) != manifest
    ):
        raise Conflict(
            f"The chain already holds a different release {version} of this dataset; "
            "this server did not record it."
        )


def _same_or_conflict(
    db: Session, dataset: Dataset, existing: Release, excluded: dict[str, str]
) -> Published:
    previous = find_release(db, dataset, existing.version - 1)
    included, _ = _contents(db, dataset, previous, excluded)
    if hex32(merkle_root((i.content_hash, i.label) for i in included)) != existing.merkle_root:
        raise Conflict(f"Version {existing.version} is already published with different items.")
    return Published(existing, created=False)


# ---------------------------------------------------------------------------------------------- reads


def latest_release(db: Session, dataset: Dataset) -> Release | None:
    return db.scalar(
        select(Release).where(Release.dataset_id == dataset.id).order_by(Release.version.desc()).limit(1)
    )


def find_release(db: Session, dataset: Dataset, version: int) -> Release | None:
    return db.scalar(select(Release).where(Release.dataset_id == dataset.id, Release.version == version))


def get_release(db: Session, dataset: Dataset, version: int) -> Release:
    release = find_release(db, dataset, version)
    if release is None:
        raise NotFound(f"Dataset {dataset.id} has no release {version}.")
    return release


def list_releases(db: Session, dataset: Dataset) -> list[Release]:
    return list(db.scalars(select(Release).where(Release.dataset_id == dataset.id).order_by(Release.version)))


def release_items(
    db: Session, release: Release, *, limit: int, offset: int
) -> Sequence[tuple[ReleaseItem, Item]]:
    rows = db.execute(
        select(ReleaseItem, Item)
        .join(Item, Item.id == ReleaseItem.item_id)
        .where(ReleaseItem.release_id == release.id)
        .order_by(ReleaseItem.content_hash)
        .limit(limit)
        .offset(offset)
    )
    return [(r[0], r[1]) for r in rows]


def release_removals(db: Session, release: Release) -> list[ReleaseRemoval]:
    return removals_by_release(db, [release])[release.id]


def removals_by_release(db: Session, found: Sequence[Release]) -> dict[int, list[ReleaseRemoval]]:
    """Each release's removals by release id, in one query however many releases are listed."""
    by_release: dict[int, list[ReleaseRemoval]] = {release.id: [] for release in found}
    if by_release:
        for removal in db.scalars(
            select(ReleaseRemoval)
            .where(ReleaseRemoval.release_id.in_(list(by_release)))
            .order_by(ReleaseRemoval.release_id, ReleaseRemoval.content_hash)
        ):
            by_release[removal.release_id].append(removal)
    return by_release


def diff_releases(db: Session, dataset: Dataset, older: int, newer: int) -> ReleaseDiff:
    """What changed from release ``older`` to release ``newer`` (either may be the larger number)."""
    before, after = get_release(db, dataset, older), get_release(db, dataset, newer)
    old = _labels(db, before)
    new = _labels(db, after)
    low, high = sorted((before.version, after.version))
    reasons = {
        r.content_hash: r.reason
        for r in db.scalars(
            select(ReleaseRemoval)
            .join(Release, Release.id == ReleaseRemoval.release_id)
            .where(Release.dataset_id == dataset.id, Release.version > low, Release.version <= high)
            .order_by(Release.version)
        )
    }
    return ReleaseDiff(
        added=sorted((h, new[h]) for h in new.keys() - old.keys()),
        removed=[
            Removal(h, old[h], reasons.get(h, "not in the newer release"))
            for h in sorted(old.keys() - new.keys())
        ],
        relabelled=sorted((h, old[h], new[h]) for h in old.keys() & new.keys() if old[h] != new[h]),
    )


def _labels(db: Session, release: Release) -> dict[str, str]:
    rows = db.execute(
        select(ReleaseItem.content_hash, ReleaseItem.label).where(ReleaseItem.release_id == release.id)
    )
    return {h: label for h, label in rows}

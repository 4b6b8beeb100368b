"""Filling the index directly (no chain) for tests of the read paths: datasets, items with their bytes,
and published releases."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from sqlalchemy.orm import Session

from sebrus.api import create_app
from sebrus.config import Settings
from sebrus.db.models import Dataset, Item, Release, ReleaseItem, ReleaseRemoval
from sebrus.web.mount import install_web
from tests.support.images import png


def build_reads_app(settings: Settings) -> FastAPI:
    """The API with the chain's read routers and the pages, without a chain: reads need only the index."""
    app = create_app(settings, with_chain=True)
    install_web(app)
    return app


def _db(app: FastAPI) -> Session:
    session: Session = app.state.platform.session_factory()
    return session


def add_datasets(app: FastAPI, owner_id: int, count: int) -> list[int]:
    with _db(app) as db:
        start = db.query(Dataset).count()
        made = [
            Dataset(
                name=f"set {start + n}",
                description="read counts",
                address="0x" + f"{start + n + 1:040x}",
                owner_id=owner_id,
                labels=["cat", "dog"],
            )
            for n in range(count)
        ]
        db.add_all(made)
        db.commit()
        return [d.id for d in made]


def add_items(app: FastAPI, dataset_id: int, count: int, first_seed: int = 0) -> list[str]:
    """``count`` items with their bytes in the blob store, straight into the index."""
    blobs = app.state.platform.blobs
    hashes = []
    with _db(app) as db:
        for seed in range(first_seed, first_seed + count):
            data = png(seed)
            digest = hashlib.sha256(data).hexdigest()
            blobs.put(data)
            db.add(
                Item(
                    dataset_id=dataset_id,
                    content_hash=digest,
                    label="cat" if seed % 2 else "dog",
                    label_index=seed % 2,
                    contributor_address="0x" + "ab" * 20,
                    size=len(data),
                    media_type="image/png",
                )
            )
            hashes.append(digest)
        db.commit()
    return hashes


def add_release(app: FastAPI, dataset_id: int, version: int, removals: int = 2) -> None:
    """A published release of every item the dataset holds, with a few removals."""
    with _db(app) as db:
        items = db.query(Item).filter(Item.dataset_id == dataset_id).all()
        release = Release(
            dataset_id=dataset_id,
            version=version,
            merkle_root="0x" + "11" * 32,
            manifest_hash="0x" + f"{version:064x}",
            item_count=len(items),
            chain_id=1,
            registry_address="0x" + "22" * 20,
            publisher_address="0x" + "33" * 20,
        )
        db.add(release)
        db.flush()
        db.add_all(
            ReleaseItem(release_id=release.id, item_id=i.id, content_hash=i.content_hash, label=i.label)
            for i in items
        )
        db.add_all(
            ReleaseRemoval(release_id=release.id, content_hash=f"{n:064x}", label="cat", reason="held")
            for n in range(removals)
        )
        db.commit()

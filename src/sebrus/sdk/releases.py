"""Release methods of :class:`sebrus.Client`: publish, list, read, diff and export releases.

A mixin, so that releases live in their own module; it relies only on the client's ``_json`` and
``image`` methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sebrus.releases.document import Removal
from sebrus.releases.export import ExportItem, ReleaseInfo, write_export


@dataclass(frozen=True)
class Release:
    dataset_id: int
    version: int
    merkle_root: str
    manifest_hash: str
    removed_hash: str | None
    item_count: int
    notes: str
    chain_id: int
    registry: str
    dataset_address: str
    publisher: str
    tx_hash: str | None
    block_number: int | None
    published_at: str
    removed: list[Removal]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Release:
        return cls(
            dataset_id=int(data["dataset_id"]),
            version=int(data["version"]),
            merkle_root=str(data["merkle_root"]),
            manifest_hash=str(data["manifest_hash"]),
            removed_hash=data.get("removed_hash"),
            item_count=int(data["item_count"]),
            notes=str(data.get("notes", "")),
            chain_id=int(data["chain_id"]),
            registry=str(data["registry"]),
            dataset_address=str(data["dataset_address"]),
            publisher=str(data["publisher"]),
            tx_hash=data.get("tx_hash"),
            block_number=data.get("block_number"),
            published_at=str(data["published_at"]),
            removed=[
                Removal(str(r["sha256"]), str(r["label"]), str(r["reason"])) for r in data.get("removed", [])
            ],
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    def info(self) -> ReleaseInfo:
        return ReleaseInfo(
            dataset_id=self.dataset_id,
            dataset_name=str(self.raw["dataset_name"]),
            description=str(self.raw.get("description", "")),
            labels=tuple(self.raw["labels"]),
            dataset_address=self.dataset_address,
            chain_id=self.chain_id,
            registry=self.registry,
            version=self.version,
            merkle_root=self.merkle_root,
            manifest_hash=self.manifest_hash,
            removed_hash=self.removed_hash,
            item_count=self.item_count,
            tx_hash=self.tx_hash,
            block_number=self.block_number,
            published_at=self.published_at,
            notes=self.notes,
            removed=tuple(self.removed),
            license=self.raw.get("license"),
            cite_as=self.raw.get("cite_as"),
        )


class ReleaseMethods:
    page_size: int

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    def image(self, dataset_id: int, sha256: str) -> bytes:
        raise NotImplementedError  # provided by Client

    def publish_release(
        self,
        dataset_id: int,
        notes: str = "",
        exclude: dict[str, str] | None = None,
        version: int | None = None,
    ) -> Release:
        """Publish the dataset's Approved items (less ``exclude``: sha256 -> reason) as its next release.

        Pass the ``version`` you expect so that a retry after a lost answer returns the same release.
        """
        body: dict[str, Any] = {"notes": notes, "exclude": exclude or {}}
        if version is not None:
            body["version"] = version
        return Release.from_json(
            self._json("POST", f"/api/dataset/{int(dataset_id)}/releases", json=body)["release"]
        )

    def releases(self, dataset_id: int) -> list[Release]:
        body = self._json("GET", f"/api/dataset/{int(dataset_id)}/releases")
        return [Release.from_json(r) for r in body["releases"]]

    def release(self, dataset_id: int, version: int) -> Release:
        body = self._json("GET", f"/api/dataset/{int(dataset_id)}/releases/{int(version)}")
        return Release.from_json(body["release"])

    def release_items(self, dataset_id: int, version: int) -> Iterator[ExportItem]:
        """The release's items in content-hash order, a page at a time."""
        offset = 0
        while True:
            body = self._json(
                "GET",
                f"/api/dataset/{int(dataset_id)}/releases/{int(version)}/items",
                params={"limit": self.page_size, "offset": offset},
            )
            page = body["items"]
            for item in page:
                yield ExportItem(
                    sha256=str(item["sha256"]),
                    label=str(item["label"]),
                    media_type=item.get("media_type"),
                    contributor=str(item["contributor"]),
                    tx_hash=item.get("tx_hash"),
                    votes=item.get("votes"),
                    suspicion=item.get("suspicion"),
                )
            offset += len(page)
            if not page or offset >= int(body["total"]):
                return

    def diff_releases(self, dataset_id: int, from_version: int, to_version: int) -> dict[str, Any]:
        """Items added, removed (with the reasons recorded) and relabelled between two releases."""
        return self._json(
            "GET",
            f"/api/dataset/{int(dataset_id)}/releases/diff",
            params={"from": int(from_version), "to": int(to_version)},
        )

    def export_release(
        self, dataset_id: int, version: int, out: str | Path, fmt: str = "imagefolder"
    ) -> Path:
        """Download a release into ``out`` (a new or empty folder) in ``fmt``; every image is hash-checked."""
        release = self.release(dataset_id, version)
        items = list(self.release_items(dataset_id, version))
        return write_export(release.info(), items, lambda sha: self.image(dataset_id, sha), Path(out), fmt)

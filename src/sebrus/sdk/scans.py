"""Scan methods of :class:`sebrus.Client`: start a poison scan, follow it, read what it flagged and why.

A mixin, so that scans live in their own module; it relies only on the client's ``_json`` and
``_request`` methods.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

FINISHED = ("done", "failed")


@dataclass(frozen=True)
class Scan:
    id: int
    dataset_id: int
    state: str  # queued | running | done | failed
    scope: str
    progress: float
    message: str
    insufficient_data: bool
    error: str | None
    n_items: int
    n_flagged: int
    n_trusted: int
    threshold: float | None
    quarantine: dict[str, int]
    report_sha256: str | None
    raw: dict[str, Any]
    model_sha256: str | None = None  # the owner's scan model it ran with; None: the reference CNN
    fdr: float | None = None  # the operating point: a false-discovery rate (the default) ...
    fpr: float | None = None  # ... or an explicit false-positive rate
    expected_false_positives: float | None = None
    expected_precision: float | None = None
    trusted_message: str | None = None  # what the seed set was used for, in the report's words

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scan:
        return cls(
            id=int(data["id"]),
            dataset_id=int(data["dataset_id"]),
            state=str(data["state"]),
            scope=str(data["scope"]),
            progress=float(data["progress"]),
            message=str(data.get("message", "")),
            insufficient_data=bool(data.get("insufficient_data", False)),
            error=data.get("error"),
            n_items=int(data.get("n_items", 0)),
            n_flagged=int(data.get("n_flagged", 0)),
            n_trusted=int(data.get("n_trusted", 0)),
            threshold=data.get("threshold"),
            quarantine={k: int(v) for k, v in dict(data.get("quarantine") or {}).items()},
            report_sha256=data.get("report_sha256"),
            raw=data,
            model_sha256=data.get("model_sha256"),
            fdr=data.get("fdr"),
            fpr=data.get("fpr"),
            expected_false_positives=data.get("expected_false_positives"),
            expected_precision=data.get("expected_precision"),
            trusted_message=data.get("trusted_message"),
        )

    @property
    def finished(self) -> bool:
        """Done or failed, and every quarantine it asked for has been sent (or refused)."""
        return self.state in FINISHED and self.quarantine.get("pending", 0) == 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class FlaggedItem:
    sha256: str
    label: str
    contributor: str
    status: str
    suspicion: float
    reasons: list[dict[str, Any]]
    quarantine: str | None
    quarantine_tx: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlaggedItem:
        return cls(
            sha256=str(data["sha256"]),
            label=str(data["label"]),
            contributor=str(data["contributor"]),
            status=str(data["status"]),
            suspicion=float(data["suspicion"]),
            reasons=list(data.get("reasons") or []),
            quarantine=data.get("quarantine"),
            quarantine_tx=data.get("quarantine_tx"),
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class ScanModel:
    """The model a dataset's scans use: the owner's upload (``sha256`` set) or the reference CNN."""

    source: str  # uploaded | reference
    sha256: str | None
    format: str | None
    size: int | None
    name: str | None
    classes: list[str]
    checked_on: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanModel:
        return cls(
            source=str(data["source"]),
            sha256=data.get("sha256"),
            format=data.get("format"),
            size=data.get("size"),
            name=data.get("name"),
            classes=list(data.get("classes") or []),
            checked_on=data.get("checked_on"),
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class SeedImage:
    """One image of a dataset's seed set, the trusted data scans calibrate against."""

    sha256: str
    label: str
    source: str
    added_at: datetime
    heldout_for_monitoring: bool  # in the share release monitoring measures on, which scans never use
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedImage:
        return cls(
            sha256=str(data["sha256"]),
            label=str(data["label"]),
            source=str(data["source"]),
            added_at=datetime.fromisoformat(str(data["added_at"])),
            heldout_for_monitoring=bool(data.get("heldout_for_monitoring", False)),
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class SeedAdded:
    """What adding to the seed set did: the images added (already-present ones are not) and the total."""

    message: str
    added: list[SeedImage]
    total: int
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedAdded:
        return cls(
            message=str(data.get("status", "")),
            added=[SeedImage.from_json(s) for s in data.get("added", [])],
            total=int(data["total"]),
            raw=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


class ReportMismatch(Exception):
    """The report served does not hash to the report hash the scan (and the chain) recorded."""


class ScanMethods:
    page_size: int

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        raise NotImplementedError  # provided by Client

    def start_scan(
        self,
        dataset_id: int,
        scope: str = "all",
        fpr: float | None = None,
        seed: int = 0,
        fdr: float | None = None,
    ) -> Scan:
        """Queue a scan of the dataset (owner only); ``scope`` is ``all`` or ``new-since-last``.

        Flags are chosen at a false-discovery rate (``fdr``, the server's default 0.05 when neither is
        given), or at an explicit per-item false-positive rate ``fpr``.
        """
        body: dict[str, Any] = {"scope": scope, "seed": seed}
        if fdr is not None:
            body["fdr"] = fdr
        if fpr is not None:
            body["fpr"] = fpr
        return Scan.from_json(self._json("POST", f"/api/dataset/{int(dataset_id)}/scans", json=body)["scan"])

    def scans(self, dataset_id: int) -> list[Scan]:
        """The dataset's scans, newest first (every page)."""
        found: list[Scan] = []
        while True:
            body = self._json(
                "GET",
                f"/api/dataset/{int(dataset_id)}/scans",
                params={"limit": self.page_size, "offset": len(found)},
            )
            page = [Scan.from_json(s) for s in body["scans"]]
            found.extend(page)
            if not page or len(found) >= int(body["total"]):
                return found

    def scan(self, scan_id: int) -> Scan:
        return Scan.from_json(self._json("GET", f"/api/scans/{int(scan_id)}")["scan"])

    def wait_for_scan(
        self,
        scan_id: int,
        timeout: float = 3600.0,
        poll: float = 1.0,
        on_progress: Callable[[Scan], None] | None = None,
    ) -> Scan:
        """Poll until the scan is finished and its quarantines are sent; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.scan(scan_id)
            if on_progress is not None:
                on_progress(current)
            if current.finished:
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"scan {scan_id} is still {current.state} after {timeout:.0f} s")
            time.sleep(poll)

    def flagged(self, scan_id: int) -> Iterator[FlaggedItem]:
        """The scan's flagged items, most suspicious first, a page at a time."""
        offset = 0
        while True:
            body = self._json(
                "GET",
                f"/api/scans/{int(scan_id)}/flagged",
                params={"limit": self.page_size, "offset": offset},
            )
            page = body["items"]
            yield from (FlaggedItem.from_json(i) for i in page)
            offset += len(page)
            if not page or offset >= int(body["total"]):
                return

    def scan_report(self, scan_id: int, kind: str = "json", verify: bool = True) -> bytes:
        """The report's bytes (``json`` or ``html``); the JSON one is checked against the recorded hash."""
        if kind not in ("json", "html"):
            raise ValueError(f"kind must be 'json' or 'html', got {kind!r}")
        data = self._request("GET", f"/api/scans/{int(scan_id)}/report.{kind}").content
        if verify and kind == "json":
            expected = self.scan(scan_id).report_sha256
            actual = hashlib.sha256(data).hexdigest()
            if expected != actual:
                raise ReportMismatch(
                    f"report of scan {scan_id} hashes to {actual}, the scan recorded {expected}"
                )
        return data

    def add_seed(
        self,
        dataset_id: int,
        images: Sequence[tuple[str | Path | bytes, str]] = (),
        items: Sequence[str] = (),
    ) -> SeedAdded:
        """Add vetted images (file or bytes, label) and/or existing items (sha256) to the seed set."""
        encoded = []
        for source, label in images:
            data = source if isinstance(source, bytes) else Path(source).read_bytes()
            encoded.append({"label": label, "data": base64.b64encode(data).decode("ascii")})
        body = {"images": encoded, "items": list(items)}
        return SeedAdded.from_json(self._json("POST", f"/api/dataset/{int(dataset_id)}/seed", json=body))

    def seed(self, dataset_id: int) -> list[SeedImage]:
        """The dataset's seed set (owner only): sha256, label and source of each image."""
        return [
            SeedImage.from_json(s) for s in self._json("GET", f"/api/dataset/{int(dataset_id)}/seed")["seed"]
        ]

    def scan_model(self, dataset_id: int) -> ScanModel:
        """Which model the dataset's scans use."""
        body = self._json("GET", f"/api/dataset/{int(dataset_id)}/scan-model")
        return ScanModel.from_json(body["scan_model"])

    def set_scan_model(
        self, dataset_id: int, source: str | Path | bytes, name: str | None = None
    ) -> ScanModel:
        """Upload the model the dataset's scans use (owner only): TorchScript, or safetensors / state-dict
        weights of the reference CNN. The server checks it against the dataset before storing it."""
        if isinstance(source, bytes):
            data = source
        else:
            data = Path(source).read_bytes()
            name = name or Path(source).name
        body = self._json(
            "PUT",
            f"/api/dataset/{int(dataset_id)}/scan-model",
            content=data,
            params={"filename": name},
            headers={"Content-Type": "application/octet-stream"},
        )
        return ScanModel.from_json(body["scan_model"])

    def remove_scan_model(self, dataset_id: int) -> ScanModel:
        """Scans of the dataset go back to training the reference CNN (owner only)."""
        return ScanModel.from_json(
            self._json("DELETE", f"/api/dataset/{int(dataset_id)}/scan-model")["scan_model"]
        )

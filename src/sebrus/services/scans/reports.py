"""A platform scan's reports: the scanner's JSON format and its HTML page, both kept in the blob store.

The JSON report is what the chain points at: its sha256 is the report hash every quarantine carries,
and because the blob store is content-addressed the same hash fetches it back, so anyone can check that
the report served is the one the detector committed to. Items are named by their sha256 (the ``path``
field of ``sebrus detect``'s format), which is also their on-chain content hash.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Dataset, Scan
from sebrus.services.scans.data import ScanInputs
from sebrus.services.scans.seeds import seed_set_digest

REPORT_FORMAT = "sebrus-scan-report/1"
THUMBNAILS = 30
THUMBNAIL_SIDE = 96


def build_report(
    dataset: Dataset, scan: Scan, inputs: ScanInputs, result: Any, chain_id: int | None
) -> dict[str, Any]:
    """The report for the in-scope items of ``result`` (a ``sebrus.detect.scan.ScanResult``)."""
    base = result.to_dict()
    items = []
    for k in np.flatnonzero(inputs.in_scope):
        entry, item = base["items"][k], inputs.items[k]
        items.append(
            {
                "path": item.content_hash,
                "sha256": item.content_hash,
                "label": item.label,
                "contributor": item.contributor_address,
                "suspicion": entry["suspicion"],
                "flagged": entry["flagged"],
                "reasons": entry["reasons"],
                "embedding": entry["embedding"],
            }
        )
    summary = dict(base["summary"])
    summary.update(
        {
            "n_items": len(items),
            "n_flagged": sum(1 for i in items if i["flagged"]),
            "n_context": len(inputs.items),
            "classes": list(dataset.labels),
            "notes": inputs.notes + list(summary.get("notes", [])),
            "seed_set_sha256": seed_set_digest(inputs.trusted_hashes),
            # The owner's model, by its blob-store key (null: the reference CNN trained by the scan).
            "model_sha256": scan.model_sha256,
        }
    )
    return {
        "format": REPORT_FORMAT,
        "scan": {
            "id": scan.id,
            "scope": scan.scope.value,
            "dataset_id": dataset.id,
            "dataset_address": dataset.address,
            "chain_id": chain_id,
            "fpr": scan.fpr,
            "seed": scan.random_seed,
        },
        "items": items,
        "contributors": base["contributors"],
        "summary": summary,
    }


def report_bytes(report: Mapping[str, Any]) -> bytes:
    """Canonical bytes (sorted keys, no spaces): the same report always hashes the same."""
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def thumbnails(blobs: BlobStore, report: Mapping[str, Any]) -> dict[str, bytes]:
    """PNG thumbnails of the most suspicious flagged items, keyed by their path (sha256)."""
    flagged = sorted((i for i in report["items"] if i["flagged"]), key=lambda i: -i["suspicion"])
    out: dict[str, bytes] = {}
    for item in flagged[:THUMBNAILS]:
        with Image.open(io.BytesIO(blobs.get(item["sha256"]))) as img:
            img.seek(0)
            thumb = img.convert("RGB")
        scale = THUMBNAIL_SIDE / max(thumb.size)
        size = (max(1, round(thumb.width * scale)), max(1, round(thumb.height * scale)))
        buffer = io.BytesIO()
        thumb.resize(size, Image.Resampling.NEAREST).save(buffer, format="PNG")
        out[item["path"]] = buffer.getvalue()
    return out


def store_reports(blobs: BlobStore, report: Mapping[str, Any]) -> tuple[str, str]:
    """Write the JSON and HTML reports into the blob store; returns their sha256 keys (JSON first)."""
    from sebrus.detect.report_html import render_html_report

    json_key = blobs.put(report_bytes(report)).key
    with tempfile.TemporaryDirectory(prefix="sebrus-report-") as tmp:
        page = Path(tmp) / "report.html"
        render_html_report(dict(report), thumbnails(blobs, report), page)
        html_key = blobs.put(page.read_bytes()).key
    return json_key, html_key

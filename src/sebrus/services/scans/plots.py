"""A finished scan's figures as PNG files, for pages that may not show ``data:`` images.

The HTML report embeds its figures as ``data:`` URIs so that it opens offline; the web pages' policy
(``default-src 'self'``) rightly refuses those, and the report forbids being framed. So the pages
serve the same figures as plain same-origin PNGs, drawn by the report's own code from the JSON
report. A report never changes (its key is its sha256), so the figures are drawn once per report
and kept in a small in-memory cache.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sebrus.blobs.base import BlobStore
from sebrus.db.models import Scan
from sebrus.services.errors import NotFound
from sebrus.services.scans.queries import report_key

CACHED_REPORTS = 16
MAX_CLASS_PLOTS = 12


@dataclass(frozen=True)
class Plot:
    """One figure: ``name`` is its URL-safe key, ``title`` what the page says above it."""

    name: str
    title: str
    png: bytes


_cache: OrderedDict[str, list[Plot]] = OrderedDict()
_lock = threading.Lock()


def _decode(uri: str | None) -> bytes | None:
    prefix = "data:image/png;base64,"
    if uri is None or not uri.startswith(prefix):
        return None
    return base64.b64decode(uri[len(prefix) :])


def _draw(report_json: bytes) -> list[Plot]:
    from sebrus.detect.report_html import build_view  # matplotlib loads only when a figure is asked for

    view = build_view(json.loads(report_json), {}, max_flagged=0)
    plots: list[Plot] = []
    if (histogram := _decode(view.histogram_uri)) is not None:
        plots.append(
            Plot("suspicion", "Suspicion of every scanned item, with the flagging threshold", histogram)
        )
    if (bars := _decode(view.contributors_uri)) is not None:
        plots.append(Plot("contributors", "Contributors by suspicion", bars))
    for index, (label, uri) in enumerate(view.class_plots[:MAX_CLASS_PLOTS]):
        if (scatter := _decode(uri)) is not None:
            plots.append(Plot(f"class-{index}", f"Label {label}: items in feature space", scatter))
    return plots


def scan_plots(blobs: BlobStore, scan: Scan) -> list[Plot]:
    """The figures of a finished scan's report; raises ``NotFound``/``Conflict`` when it has none."""
    key = report_key(scan, "json")
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    plots = _draw(blobs.get(key))
    with _lock:
        _cache[key] = plots
        while len(_cache) > CACHED_REPORTS:
            _cache.popitem(last=False)
    return plots


def scan_plot(blobs: BlobStore, scan: Scan, name: str) -> Plot:
    for plot in scan_plots(blobs, scan):
        if plot.name == name:
            return plot
    raise NotFound(f"Scan {scan.id} has no figure named {name!r}.")

"""A scan report as one self-contained HTML page: figures first, because people look before they read.

The page must open offline and from an e-mail attachment, so every figure and thumbnail is a ``data:`` URI
and nothing is fetched. Every string in it comes from uploaders (paths, labels, contributor ids, reasons),
so the template autoescapes and nothing from the report is ever marked safe; a Content-Security-Policy
forbids scripts as a second line of defence.
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from sebrus.detect.report_plots import (
    PlotBar,
    PlotPoint,
    class_cluster_plots,
    contributor_bars,
    suspicion_histogram,
)
from sebrus.detect.report_template import CONTENT_SECURITY_POLICY, REPORT_TEMPLATE

MAX_FLAGGED_SHOWN = 30
_KNOWN_SUMMARY_KEYS = (
    "n_items",
    "n_flagged",
    "threshold",
    "fpr",
    "fdr",
    "detectors",
    "operating_point",
    "expected_false_positives",
    "expected_precision",
    "trusted",
)


class ReportFormatError(ValueError):
    """The report dict is not shaped like a scanner report; the message names the offending field."""


@dataclass(frozen=True)
class Reason:
    detector: str
    score: float | None
    detail: str


@dataclass(frozen=True)
class FlaggedCard:
    path: str
    label: str
    suspicion: float | None
    reasons: list[Reason]
    thumbnail_uri: str | None


@dataclass(frozen=True)
class ContributorRow:
    id: str
    score: float | None
    flagged: bool


@dataclass
class ReportView:
    """What the template shows: the report's values, checked, defaulted and already turned into text."""

    n_items: int
    n_flagged: int
    threshold: float | None
    fpr: float | None
    detectors: list[str]
    extra_summary: list[tuple[str, str]]
    class_plots: list[tuple[str, str]] = field(default_factory=list)
    histogram_uri: str | None = None
    contributors_uri: str | None = None
    flagged_contributors: list[ContributorRow] = field(default_factory=list)
    n_contributors: int = 0
    cards: list[FlaggedCard] = field(default_factory=list)
    n_flagged_not_shown: int = 0
    operating_point: str = ""
    trusted_message: str = ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _embedding(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    x, y = _number(value[0]), _number(value[1])
    return None if x is None or y is None else (x, y)


def _reasons(value: Any, where: str) -> list[Reason]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportFormatError(f"{where}.reasons must be a list, got {type(value).__name__}")
    reasons = []
    for raw in value:
        if isinstance(raw, Mapping):
            reasons.append(
                Reason(_text(raw.get("detector")), _number(raw.get("score")), _text(raw.get("detail")))
            )
        else:  # a bare string reason: keep what it says rather than refuse the whole report
            reasons.append(Reason("", None, _text(raw)))
    return sorted(reasons, key=lambda r: -(r.score if r.score is not None else -math.inf))


def data_uri(image: bytes) -> str | None:
    """A ``data:`` URI for PNG or JPEG bytes; None for anything else, so junk is never labelled an image."""
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    elif image.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    else:
        return None
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def _items(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], PlotPoint]]:
    items = report.get("items")
    if not isinstance(items, list):
        raise ReportFormatError("report['items'] must be a list of item objects")
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ReportFormatError(f"items[{index}] must be an object, got {type(item).__name__}")
        if not isinstance(item.get("path"), str):
            raise ReportFormatError(f"items[{index}] needs a string 'path'")
        point = PlotPoint(
            label=_text(item.get("label")),
            suspicion=_number(item.get("suspicion")),
            flagged=bool(item.get("flagged", False)),
            embedding=_embedding(item.get("embedding")),
        )
        parsed.append((item, point))
    return parsed


def _contributors(report: Mapping[str, Any]) -> list[ContributorRow]:
    raw = report.get("contributors") or []
    if not isinstance(raw, list):
        raise ReportFormatError("report['contributors'] must be a list")
    rows = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise ReportFormatError(f"contributors[{index}] must be an object, got {type(entry).__name__}")
        rows.append(
            ContributorRow(_text(entry.get("id")), _number(entry.get("score")), bool(entry.get("flagged")))
        )
    return rows


#: What the summary's keys mean, for the table under the figures; a key not named here is shown by
#: :func:`readable_name` ("some_new_key" -> "Some new key"), never as the raw key.
SUMMARY_NAMES = {
    "n_classes": "Classes",
    "flags_per_detector": "Flags per detector",
    "calibration": "Calibration",
    "n_trusted": "Trusted items",
    "n_contributors": "Contributors",
    "n_contributors_flagged": "Contributors flagged",
    "image_shape": "Image shape",
    "class_share_z": "Class share against the trusted labels (z-score per class)",
    "overrepresented_classes": "Over-represented classes",
    "model": "Model",
    "epochs": "Training epochs",
    "anchored_model": "Anchored model",
    "timings_s": "Time per stage (seconds)",
    "seconds": "Total time (seconds)",
    "notes": "Notes",
}
_UNIT_SUFFIXES = {"_s": " (seconds)", "_z": " (z-score)"}


def readable_name(key: str) -> str:
    """A summary key as words: the known ones from :data:`SUMMARY_NAMES`, others de-snaked."""
    if key in SUMMARY_NAMES:
        return SUMMARY_NAMES[key]
    stem, unit = key, ""
    for suffix, words in _UNIT_SUFFIXES.items():
        if key.endswith(suffix) and len(key) > len(suffix):
            stem, unit = key[: -len(suffix)], words
            break
    if stem.startswith("n_"):
        stem = "number of " + stem[2:]
    text = stem.replace("_", " ").strip() or key
    return text[:1].upper() + text[1:] + unit


def readable_value(value: Any) -> str:
    """A summary value as text people read: numbers to four figures, empty parts as "none", nested
    objects as "name: value" pairs (never JSON braces such as ``{}``)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return "; ".join(f"{_nested_name(k)}: {readable_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(readable_value(v) for v in value) if value else "none"
    return json.dumps(value, default=str, ensure_ascii=False)


def _nested_name(key: Any) -> str:
    """Keys inside a value (detector names, class indices) are data, so only snake case is undone."""
    return str(key).replace("_", " ")


def build_view(report: Mapping[str, Any], thumbnails: Mapping[str, bytes], max_flagged: int) -> ReportView:
    """Check the report and compute everything the page shows, figures included."""
    if not isinstance(report, Mapping):
        raise ReportFormatError(f"report must be a dict, got {type(report).__name__}")
    items = _items(report)
    contributors = _contributors(report)
    summary = report.get("summary") or {}
    if not isinstance(summary, Mapping):
        raise ReportFormatError("report['summary'] must be an object")
    points = [point for _, point in items]
    threshold, fpr = _number(summary.get("threshold")), _number(summary.get("fpr"))
    detectors = summary.get("detectors") or []
    flagged = sorted(
        ((item, point) for item, point in items if point.flagged),
        key=lambda pair: -(pair[1].suspicion if pair[1].suspicion is not None else -math.inf),
    )
    cards = []
    for index, (item, point) in enumerate(flagged[:max_flagged]):
        path = item["path"]
        image = thumbnails.get(path)
        cards.append(
            FlaggedCard(
                path=path,
                label=point.label,
                suspicion=point.suspicion,
                reasons=_reasons(item.get("reasons"), f"flagged item {index} ({path!r})"),
                thumbnail_uri=data_uri(image) if isinstance(image, bytes | bytearray) else None,
            )
        )
    histogram = suspicion_histogram(points, threshold, fpr)
    bars = [PlotBar(c.id, c.score, c.flagged) for c in contributors if c.score is not None]
    bar_chart = contributor_bars(bars)
    return ReportView(
        n_items=int(_number(summary.get("n_items")) or len(items)),
        n_flagged=int(_number(summary.get("n_flagged")) or sum(p.flagged for p in points)),
        threshold=threshold,
        fpr=fpr,
        detectors=[_text(d) for d in detectors] if isinstance(detectors, list) else [_text(detectors)],
        extra_summary=[
            (readable_name(_text(k)), readable_value(v))
            for k, v in summary.items()
            if k not in _KNOWN_SUMMARY_KEYS
        ],
        class_plots=[(label, uri) for label, png in class_cluster_plots(points) if (uri := data_uri(png))],
        histogram_uri=data_uri(histogram) if histogram else None,
        contributors_uri=data_uri(bar_chart) if bar_chart else None,
        flagged_contributors=[c for c in contributors if c.flagged],
        n_contributors=len(contributors),
        cards=cards,
        n_flagged_not_shown=max(0, len(flagged) - max_flagged),
        operating_point=_operating_point_text(summary),
        trusted_message=_text((summary.get("trusted") or {}).get("message", ""))
        if isinstance(summary.get("trusted"), Mapping)
        else "",
    )


def _operating_point_text(summary: Mapping[str, Any]) -> str:
    """One sentence: where flags start and what they are expected to hold."""
    fpr, fdr = _number(summary.get("fpr")), _number(summary.get("fdr"))
    expected_fp = _number(summary.get("expected_false_positives"))
    precision = _number(summary.get("expected_precision"))
    if fpr is not None:
        rule = f"Flags start at a false-positive rate of {fpr:.3g} per item"
    elif fdr is not None:
        rule = f"Flags start at a false-discovery rate of {fdr:.3g}"
    else:
        return ""
    if expected_fp is None:
        return rule + "."
    tail = f"; expected precision {100 * precision:.0f}%" if precision is not None else ""
    return f"{rule}: about {expected_fp:.1f} clean items are expected among the flags{tail}."


def _environment() -> Environment:
    # autoescape=True escapes every {{ }} in this string template; the template uses no |safe at all.
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda value, digits=3: "n/a" if value is None else f"{value:.{digits}g}"
    return env


def render_html(
    report: Mapping[str, Any], thumbnails: Mapping[str, bytes], max_flagged: int = MAX_FLAGGED_SHOWN
) -> str:
    """The page as a string; see :func:`render_html_report`."""
    view = build_view(report, thumbnails, max_flagged)
    return _environment().from_string(REPORT_TEMPLATE).render(view=view, csp=CONTENT_SECURITY_POLICY)


def render_html_report(report: dict[str, Any], thumbnails: dict[str, bytes], out_path: Path) -> None:
    """Write the scan report ``report`` as one offline HTML file, with ``thumbnails`` (path -> image bytes).

    Raises :class:`ReportFormatError` when the report is malformed and ``FileNotFoundError`` when the
    target directory is missing. The file is replaced atomically, so a reader never sees half a page.
    """
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise FileNotFoundError(f"cannot write the HTML report: directory {out_path.parent} does not exist")
    page = render_html(report, thumbnails)
    handle, temp_name = tempfile.mkstemp(dir=out_path.parent, prefix=".report-", suffix=".html.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.replace(temp_name, out_path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise

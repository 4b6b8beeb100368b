"""The HTML scan report: every section present, self-contained, and every report string escaped."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from sebrus.detect.report_html import ReportFormatError, data_uri, render_html, render_html_report
from sebrus.detect.report_plots import (
    FLAGGED_HATCH,
    PlotBar,
    bars_to_show,
    contributor_bars,
    contributor_figure,
    shorten,
)

XSS_PATH = "<script>alert(1)</script>.png"
SECTIONS = ("summary", "clusters", "suspicion", "contributors", "flagged")


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def synthetic_report(seed: int = 0) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Three classes of 40 items, a backdoor clump of 6 flagged items in class "7", hostile strings inside."""
    rng = np.random.default_rng(seed)
    items: list[dict[str, Any]] = []
    thumbnails: dict[str, bytes] = {}
    for label in ("3", "7", 'cat"s & <dogs>'):
        for index in range(40):
            poisoned = label == "7" and index < 6
            path = f"{label}/img_{index:03d}.png"
            if poisoned and index == 0:
                path = XSS_PATH
            centre = (4.0, 4.0) if poisoned else (0.0, 0.0)
            pixels = rng.integers(0, 120, size=(28, 28))
            if poisoned:
                pixels[22:27, 22:27] = 255  # the patch trigger, visible in the thumbnail
            thumbnails[path] = png_bytes(pixels)
            items.append(
                {
                    "path": path,
                    "label": label,
                    "suspicion": float(rng.uniform(0.85, 0.99) if poisoned else rng.uniform(0.0, 0.6)),
                    "flagged": poisoned,
                    "reasons": [
                        {
                            "detector": "spectral",
                            "score": 0.93,
                            "detail": "outlier <b>on top</b> singular vector",
                        },
                        {"detector": "input_checks", "detail": "bright 5x5 patch at (22, 22)"},
                        {"score": 0.4},
                    ]
                    if poisoned
                    else [],
                    "embedding": [float(v) for v in rng.normal(centre, 0.6)],
                }
            )
    contributors = [
        {"id": f"0x{n:040x}", "score": float(rng.uniform(0, 0.5)), "flagged": False} for n in range(12)
    ]
    contributors.append({"id": "<img src=x onerror=alert(2)>", "score": 0.97, "flagged": True})
    contributors.append({"id": "$\\alpha$ mallory", "score": 0.91, "flagged": True})
    summary = {
        "threshold": 0.8,
        "fpr": 0.01,
        "n_items": len(items),
        "n_flagged": 6,
        "detectors": ["spectral", "activation_clustering", "<i>input_checks</i>"],
        "model": "reference-cnn <v1>",
        "seconds": 12.5,
    }
    return {"items": items, "contributors": contributors, "summary": summary}, thumbnails


@pytest.fixture(scope="module")
def rendered() -> str:
    report, thumbnails = synthetic_report()
    return render_html(report, thumbnails)


def embedded_images(page: str) -> list[bytes]:
    return [
        base64.b64decode(b64) for b64 in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_every_section_is_present(rendered: str) -> None:
    for section in SECTIONS:
        assert f'<section id="{section}">' in rendered


def test_figures_are_embedded_pngs_one_per_class_plus_histogram_and_contributors(rendered: str) -> None:
    images = embedded_images(rendered)
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    # 3 class scatters + histogram + contributor bars + 6 flagged thumbnails.
    assert len(images) == 3 + 1 + 1 + 6
    assert rendered.count('class="thumb"') == 6


def test_thumbnails_are_the_given_bytes_as_data_uris(rendered: str) -> None:
    report, thumbnails = synthetic_report()
    for item in report["items"]:
        uri = f"data:image/png;base64,{base64.b64encode(thumbnails[item['path']]).decode()}"
        assert (uri in rendered) is item["flagged"]


def test_page_is_self_contained(rendered: str) -> None:
    assert "http://" not in rendered
    assert "https://" not in rendered
    assert "//" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", rendered)
    assert "<script" not in rendered
    assert "<link" not in rendered
    assert "Content-Security-Policy" in rendered


def test_every_report_string_is_escaped(rendered: str) -> None:
    assert XSS_PATH not in rendered
    assert html.escape(XSS_PATH) in rendered
    assert "<img src=x onerror" not in rendered
    assert html.escape("<img src=x onerror=alert(2)>") in rendered
    assert "<b>on top</b>" not in rendered
    assert html.escape("outlier <b>on top</b> singular vector") in rendered
    assert "<i>input_checks</i>" not in rendered
    assert "<dogs>" not in rendered
    assert "cat&#34;s &amp; &lt;dogs&gt;" in rendered  # markupsafe writes " as &#34;
    assert "reference-cnn <v1>" not in rendered


def test_flagged_cards_show_reasons_highest_score_first(rendered: str) -> None:
    card = rendered[rendered.index(html.escape(XSS_PATH)) :]
    card = card[: card.index("</ul>")]
    assert card.index("spectral") < card.index("input_checks")
    assert "0.93" in card
    assert "bright 5x5 patch at (22, 22)" in card


def test_summary_shows_threshold_and_detectors(rendered: str) -> None:
    summary = rendered[rendered.index('<section id="summary">') : rendered.index('<section id="clusters">')]
    assert "0.8" in summary
    assert "0.01" in summary
    assert "spectral" in summary
    assert "12.5" in summary


def test_minimal_report_without_optional_parts_still_renders(tmp_path: Path) -> None:
    report = {"items": [{"path": "a/1.png", "label": "a", "suspicion": 0.2, "flagged": False, "reasons": []}]}
    out = tmp_path / "report.html"

    render_html_report(report, {}, out)

    page = out.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    assert "No item in this report carries a 2-D embedding." in page
    assert "Nothing was flagged." in page
    assert "No contributor scores in this report." in page


def test_flagged_item_without_thumbnail_or_with_non_image_bytes_gets_a_placeholder() -> None:
    items = [
        {"path": "x/1.png", "label": "x", "suspicion": 0.9, "flagged": True},
        {
            "path": "x/2.png",
            "label": "x",
            "suspicion": 0.95,
            "flagged": True,
            "reasons": ["plain text reason"],
        },
    ]
    page = render_html({"items": items}, {"x/2.png": b"<svg onload=alert(3)>"})

    assert page.count("no thumbnail") == 2
    assert "onload" not in page.replace(html.escape("<svg onload=alert(3)>"), "")
    assert "plain text reason" in page


def test_data_uri_recognises_png_and_jpeg_only() -> None:
    assert data_uri(b"\x89PNG\r\n\x1a\nrest") is not None
    assert (data_uri(b"\xff\xd8\xff\xe0rest") or "").startswith("data:image/jpeg;base64,")
    assert data_uri(b"GIF89a") is None


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({}, "report['items'] must be a list"),
        ({"items": [{"label": "a"}]}, "items[0] needs a string 'path'"),
        ({"items": ["a.png"]}, "items[0] must be an object"),
        ({"items": [], "contributors": {"id": "a"}}, "report['contributors'] must be a list"),
        ({"items": [{"path": "a", "flagged": True, "reasons": "bad"}]}, "reasons must be a list"),
        ({"items": [], "summary": [1]}, "report['summary'] must be an object"),
    ],
)
def test_malformed_reports_are_refused_with_the_field_named(report: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportFormatError, match=re.escape(message)):
        render_html(report, {})


def test_missing_output_directory_is_a_clear_error(tmp_path: Path) -> None:
    report, thumbnails = synthetic_report()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render_html_report(report, thumbnails, tmp_path / "missing" / "report.html")
    assert not (tmp_path / "missing").exists()


def test_only_the_top_flagged_items_get_cards_and_the_rest_are_counted() -> None:
    items = [
        {"path": f"c/{n}.png", "label": "c", "suspicion": n / 100, "flagged": True, "reasons": []}
        for n in range(50)
    ]
    page = render_html({"items": items}, {}, max_flagged=10)

    assert page.count('class="card"') == 10
    assert "c/49.png" in page
    assert "c/39.png" not in page
    assert "40 more flagged items are in the JSON report." in page


def test_contributor_chart_keeps_low_scoring_flagged_contributors_when_truncating() -> None:
    many = [PlotBar(f"c{n}", score=1.0 - n / 100, flagged=False) for n in range(60)]
    suspect = PlotBar("suspect", score=0.0, flagged=True)

    shown = bars_to_show([*many, suspect], max_bars=10)

    assert [bar.name for bar in shown] == [f"c{n}" for n in range(9)] + ["suspect"]
    assert contributor_bars([*many, suspect], max_bars=10) is not None


def test_long_ids_are_shortened_in_the_middle_for_plots() -> None:
    address = "0x" + "ab" * 20
    short = shorten(address, limit=21)
    assert len(short) == 21
    assert short.startswith("0xababab") and short.endswith("ababab")
    assert "…" in short
    assert shorten("short") == "short"


def test_summary_rows_are_named_in_words_with_readable_values() -> None:
    report, thumbnails = synthetic_report()
    report["summary"].update(
        {
            "class_share_z": {},
            "anchored_model": {},
            "timings_s": {"train": 3.14159, "detectors": 1.5},
            "flags_per_detector": {"spectral_signature": 4},
            "image_shape": [28, 28],
            "n_widgets": 3,
        }
    )
    page = render_html(report, thumbnails)
    summary = page[page.index('<section id="summary">') : page.index('<section id="clusters">')]
    rows = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", summary))
    assert rows["Class share against the trusted labels (z-score per class)"] == "none"
    assert rows["Anchored model"] == "none"
    assert rows["Time per stage (seconds)"] == "train: 3.142; detectors: 1.5"
    assert rows["Flags per detector"] == "spectral signature: 4"
    assert rows["Image shape"] == "28, 28"
    assert rows["Number of widgets"] == "3"  # a key the page does not know still reads as words
    assert rows["Total time (seconds)"] == "12.5"
    for raw in ("class_share_z", "anchored_model", "timings_s", "{}", "n_widgets"):
        assert raw not in summary


def test_flagged_contributors_are_marked_by_more_than_colour() -> None:
    bars = [PlotBar("alice", 0.2, False), PlotBar("mallory", 2.5, True), PlotBar("bob", 0.4, False)]
    fig = contributor_figure(bars)
    assert fig is not None
    try:
        [axes] = fig.axes
        marks = [text.get_text() for text in axes.texts]
        hatched = [patch.get_hatch() for patch in axes.patches]
        names = {tick.get_text(): tick for tick in axes.get_yticklabels()}
        legend = axes.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == ["flagged", "not flagged"]
        assert marks == ["flagged"]  # one word at the one flagged bar
        assert hatched == [FLAGGED_HATCH, None, None]  # highest score first: mallory
        assert names["mallory"].get_fontweight() == "bold" and names["alice"].get_fontweight() != "bold"
        assert "1 flagged of 3" in axes.get_title()
    finally:
        plt.close(fig)

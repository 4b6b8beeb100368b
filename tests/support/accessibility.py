"""Accessibility checks for the browser tests: axe-core (npm, pinned in package.json) run in the page.

axe finds what a person would otherwise have to look for page by page: inputs without labels,
images without alt text, text below WCAG AA contrast, headings and landmarks out of order. It is
evaluated through the DevTools protocol, which the pages' Content-Security-Policy does not govern, so
the pages need no exception for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, plus axe's best practices (one main landmark, headings in order, content in regions).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN = """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}}).then((result) =>
  result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
  })))"""


@cache
def _axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make install-node` (npm ci) first")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[str]:
    """Every axe violation on the page as it stands, one line each with up to three offending nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found = page.evaluate(_RUN, TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']}; " + " | ".join(v["nodes"]) for v in found]

"""Keyboard alone, in a real browser: the skip link comes first, every stop shows where focus is, and a
person who never touches a mouse can log in and reach the page they asked for."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.browser import DESKTOP, Visit
from tests.support.live_server import LiveServer
from tests.support.web import PASSWORD, api_user

# What the focused element looks like: its own outline, or the page's focus ring on it.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || "").trim().slice(0, 40),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def focus_after_tab(page: Any) -> dict[str, Any]:
    page.keyboard.press("Tab")
    stop: dict[str, Any] | None = page.evaluate(FOCUS_RING)
    assert stop is not None, "Tab left the page's controls"
    assert stop["outline"], f"no visible focus ring on {stop}"
    assert stop["visible"], f"the focused control is off screen: {stop}"
    return stop


def test_the_keyboard_alone_logs_in_with_a_visible_focus_at_every_stop(
    chromium: Any, server: LiveServer
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as api:
        api_user(api, "kim")
    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    page.goto("/profile")
    page.wait_for_url("**/login?next=/profile")

    skip = focus_after_tab(page)
    assert skip["text"] == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"  # past the navigation in one key

    stops = [focus_after_tab(page) for _ in range(2)]
    assert [s["id"] for s in stops] == ["username", "password"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    button = focus_after_tab(page)
    assert button["tag"] == "button" and button["text"] == "Log in"
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile")
    assert page.inner_text("h1") == "kim"

    # From the top of a page, every stop through the navigation bar shows its focus ring.
    page.goto("/dashboard")
    names = [focus_after_tab(page)["text"] for _ in range(12)]
    for link in (
        "Home",
        "Dashboard",
        "Create a Dataset",
        "Contribute",
        "Review",
        "Scans",
        "Audit",
        "Profile",
    ):
        assert link in names, names
    visit.close()

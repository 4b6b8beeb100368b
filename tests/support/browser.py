"""Shared by the browser tests: Debian's Chromium with the issue's flags, a page visit that checks
what every page must satisfy (no console errors, no broken images, no sideways scrolling, no axe
accessibility violation), and the
steps many journeys begin with (an API user, registering or logging in through the pages)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.accessibility import axe_violations
from tests.support.web import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(
    os.environ.get("SEBRUS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)
SHOTS = ARTIFACTS / "screenshots"


def missing_browser_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: run scripts/install_browser.sh (as root) to install Debian's chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def register_in_browser(page: Any, username: str) -> None:
    """Create an account through /register as a newcomer would; the page lands on the dashboard."""
    page.goto("/register")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/dashboard")


def log_in_in_browser(page: Any, username: str) -> None:
    """Log in through /login; the page lands on the dashboard."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_url("**/dashboard")


class Visit:
    """One browser context with the checks every page gets: no console errors, no sideways scrolling,
    and, at each screenshot, no broken image and no accessibility violation."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int], tag: str) -> None:
        self.context = browser.new_context(viewport=viewport, base_url=base)
        self.page = self.context.new_page()
        self.tag = tag
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # Pages answer 400 or 404 on purpose (a refused form, a missing scan); the response hook
        # below judges sub-resources, so only other errors (CSP violations, script errors) count here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def _response(self, response: Any) -> None:
        if (
            response.request.resource_type in {"stylesheet", "script", "image", "font"}
            and response.status >= 400
        ):
            self.problems.append(f"{response.status} for {response.url}")

    def shot(self, name: str, *, ours: bool = True) -> None:
        """Check the page and save its picture; ``ours=False`` skips the accessibility audit for a
        page whose markup is a vendored tool's (Swagger UI on /docs), not ours to mend."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        # Lazy thumbnails below the fold would be blank in a full-page picture: load them all first,
        # and fail if one does not load.
        broken = self.page.evaluate(
            """() => Promise.all(Array.from(document.images, (img) => {
                 img.loading = "eager";
                 if (img.complete) return img;
                 return new Promise((done) => { img.onload = img.onerror = () => done(img); });
               })).then((imgs) => imgs.filter((img) => img.naturalWidth === 0).map((img) => img.src))"""
        )
        assert broken == [], f"{name}: images that did not load: {broken}"
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {self.tag} width"
        violations = axe_violations(self.page) if ours else []
        problems = "\n".join(violations)
        assert violations == [], f"{name} at {self.tag} width fails accessibility checks:\n{problems}"
        self.page.screenshot(path=str(SHOTS / f"{self.tag}-{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], self.problems

"""The navigation bar at phone width takes a small strip of the screen, not a quarter of it, with every
link still reachable; and the Review page says how to use a browser wallet when none is found, instead
of hiding the option (with a wallet present, the choice shows and the explanation goes).
Screenshots: nav-anonymous, nav-signed-in, review-no-wallet."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.browser import DESKTOP, PHONE, Visit, log_in_in_browser
from tests.support.live_server import LiveServer
from tests.support.stub_wallet import StubWallet
from tests.support.web import api_user

LINKS = ("Home", "Dashboard", "Create a Dataset", "Contribute", "Review", "Scans", "Audit", "Profile")
# The header may take at most this share of the screen's height.
MAX_SHARE = {"phone": 0.15, "desktop": 0.12}


def _header_share(page: Any) -> float:
    height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    return float(height) / float(page.viewport_size["height"])


def _every_link_reachable(page: Any) -> None:
    for name in LINKS:
        link = page.locator("nav[aria-label='Main'] a", has_text=name).first
        link.scroll_into_view_if_needed()
        assert link.is_visible(), name
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], (
            name
        )


def test_the_navigation_bar_stays_small_at_phone_width(chromium: Any, server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as api:
        api_user(api, "nav-phone")
    for viewport, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        page.goto("/dashboard")
        share = _header_share(page)
        assert share <= MAX_SHARE[tag], f"the header takes {share:.0%} of the {tag} screen"
        _every_link_reachable(page)
        visit.shot("nav-anonymous")
        log_in_in_browser(page, "nav-phone")
        share = _header_share(page)
        assert share <= MAX_SHARE[tag], f"signed in, the header takes {share:.0%} of the {tag} screen"
        assert "nav-phone" in page.inner_text(".site-header")  # who is signed in still shows
        _every_link_reachable(page)
        page.get_by_role("button", name="Log out").scroll_into_view_if_needed()
        assert page.get_by_role("button", name="Log out").is_visible()
        visit.shot("nav-signed-in")
        visit.close()


def test_the_review_page_says_how_to_use_a_browser_wallet_when_none_is_found(
    chromium: Any, server: LiveServer
) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as api:
        api_user(api, "nowallet-reviewer")
    for viewport, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        log_in_in_browser(page, "nowallet-reviewer")
        page.goto("/review")
        note = page.locator("#wallet-absent")
        assert note.is_visible() and not page.locator("#voter-choice").is_visible()
        text = note.inner_text()
        assert "browser wallet" in text and "MetaMask" in text and "Install a wallet extension" in text
        assert f"{server.url}/rpc" in text or "chain id" in text
        visit.shot("review-no-wallet")
        visit.close()

    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    StubWallet(server).install(visit)
    log_in_in_browser(visit.page, "nowallet-reviewer")
    visit.page.goto("/review")
    assert visit.page.locator("#voter-choice").is_visible()
    assert not visit.page.locator("#wallet-absent").is_visible()
    visit.close()


def test_the_contribute_page_says_how_to_use_a_browser_wallet_when_none_is_found(
    chromium: Any, server: LiveServer
) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as api:
        headers = api_user(api, "nowallet-contributor")
        made = api.post(
            "/api/dataset",
            json={"datasetName": "Wallet-less pets", "description": "Pets.", "labels": ["cat", "dog"]},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    for viewport, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        log_in_in_browser(page, "nowallet-contributor")
        page.goto("/contribute")
        note = page.locator("#wallet-absent")
        assert note.is_visible() and not page.locator("#signer-choice").is_visible()
        text = note.inner_text()
        assert "sign each contribution yourself from a browser wallet such as MetaMask" in text
        assert "Install a wallet extension" in text
        assert f"{server.url}/rpc" in text or "chain id" in text
        visit.shot("contribute-no-wallet")
        visit.close()

    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    StubWallet(server).install(visit)
    log_in_in_browser(visit.page, "nowallet-contributor")
    visit.page.goto("/contribute")
    assert visit.page.locator("#signer-choice").is_visible()
    assert not visit.page.locator("#wallet-absent").is_visible()
    visit.close()

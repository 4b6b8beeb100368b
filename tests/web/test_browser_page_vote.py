"""A reviewer votes on a whole page of the review queue in one submission, in Chromium, on a phone and a
desktop: each row is Approve, Reject or Skip, a row nobody can vote on now is disabled with its reason,
and the answer lists every row's outcome and how long settling took."""

from __future__ import annotations

from typing import Any

from sebrus.sdk import Client
from tests.support.browser import DESKTOP, PHONE, Visit, register_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer

PASSWORD = "another long passphrase"
STAKE = 10**15
DEPOSIT = 2 * 10**15


def _dataset(server: LiveServer) -> tuple[int, list[str]]:
    """Four items under a deposit policy; the contributor pays three deposits, so one row is disabled."""
    with Client(server.url) as client:
        client.register("pv-owner", PASSWORD)
        owner = client.login("pv-owner", PASSWORD)
        client.register("pv-contrib", PASSWORD)
        contributor = client.login("pv-contrib", PASSWORD)
    with Client(server.url, token=owner) as client:
        policy = {"x": 3, "stake_wei": STAKE, "deposit_wei": DEPOSIT}
        dataset = client.create_dataset("Page vote", "bulk review", ["cat", "dog"], review_policy=policy)
    with Client(server.url, token=contributor) as client:
        items = [client.upload(dataset.id, picture_png(700 + n), "cat").content_hash for n in range(4)]
        for item in items[:3]:
            client.pay_deposit(dataset.id, item)
    return dataset.id, items


def test_the_browser_journey_reviews_a_page_of_items_in_one_submission(
    chromium: Any, server: LiveServer
) -> None:
    from playwright.sync_api import expect

    dataset, (first, second, third, unpaid) = _dataset(server)
    for viewport, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        register_in_browser(page, f"pv-reviewer-{tag}")
        page.goto(f"/review?dataset={dataset}")
        expect(page.locator("article.review-item")).to_have_count(4)
        expect(page.locator(f"input[name='vote:{unpaid}'][value='approve']")).to_be_disabled()
        assert "review deposit" in page.inner_text(f"article.review-item:has(input[name='vote:{unpaid}'])")
        page.check(f"input[name='vote:{first}'][value='approve']")
        page.check(f"input[name='vote:{second}'][value='reject']")
        expect(page.locator(f"input[name='vote:{third}'][value='skip']")).to_be_checked()
        visit.shot("review-page-vote")

        posts: list[str] = []
        page.on("request", lambda r, seen=posts: seen.append(r.url) if r.method == "POST" else None)
        page.click('button:has-text("Submit the page\'s votes")')
        result = page.locator("#bulk-result")
        expect(result).to_be_visible(timeout=60_000)
        assert [u for u in posts if "/review/" in u] == [f"{server.url}/review/votes"]  # one submission
        summary = page.inner_text("#bulk-result [role=status]")
        assert summary.startswith("2 votes settled in ") and " s in 1 transaction." in summary, summary
        outcomes = page.inner_text("#bulk-result .bulk-outcomes")
        assert f"{first[:13]} Approve: settled, the item is pending." in outcomes
        assert f"{second[:13]} Reject: settled, the item is pending." in outcomes
        # Voted on, off the queue; the skipped and the disabled rows are still there.
        expect(page.locator("article.review-item")).to_have_count(2)
        assert "pv-contrib" not in page.inner_text("main")  # blind review: no contributor shown
        visit.shot("review-page-vote-result")
        visit.close()

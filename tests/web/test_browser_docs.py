"""The API docs page in a real browser: Swagger UI starts from the app's own files, under the page's
Content-Security-Policy, and never asks another host for anything."""

from __future__ import annotations

from typing import Any

from tests.support.browser import DESKTOP, Visit
from tests.support.live_server import LiveServer


def test_the_api_docs_render_without_the_network(chromium: Any, server: LiveServer) -> None:
    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    requested: list[str] = []
    visit.page.on("request", lambda request: requested.append(request.url))
    visit.page.goto("/docs")
    visit.page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = visit.page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/dataset/{dataset_id}/items" in p for p in paths), paths
    visit.page.locator(".opblock-summary", has_text="/api/health").first.click()
    visit.page.get_by_role("button", name="Try it out").click()
    visit.page.get_by_role("button", name="Execute").click()
    status = visit.page.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "200"  # the call went to the app, under connect-src 'self'
    visit.shot("api-docs", ours=False)  # Swagger UI's own markup
    assert requested and all(
        url.startswith(server.url + "/") or url.startswith("data:") for url in requested
    ), [url for url in requested if not url.startswith(server.url)]
    assert f"{server.url}/openapi.json" in requested
    visit.close()  # no console errors: no CSP violation, no script error

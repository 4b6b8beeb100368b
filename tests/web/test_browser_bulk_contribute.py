"""More files than one form takes go from the Contribute page to the bulk endpoint in batches, in Chromium.

Each file keeps its own row, progress bar and result; a file the server refuses says why while the
rest of its batch is accepted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.support.browser import DESKTOP, Visit, register_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer

FILES = 25  # more than the 20 the form takes without JavaScript


def test_a_large_selection_goes_in_batches_with_a_result_per_file(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    register_in_browser(page, "bulkbea")
    page.goto("/datasets/new")
    page.fill("#name", "Many birds")
    page.fill("#labels", "sparrow, robin")
    page.fill("#max_mb", "1")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))

    paths = []
    for n in range(FILES):
        path = tmp_path / f"bird-{n:02d}.png"
        path.write_bytes(picture_png(300 + n))
        paths.append(str(path))
    fake = tmp_path / "fake-bird.png"  # the browser cannot tell it is no image: the server refuses it
    fake.write_bytes(b"\x89PNG\r\n\x1a\n but nothing after the signature")
    paths.append(str(fake))

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.click("text=Contribute to this dataset")
    page.wait_for_url("**/contribute?dataset=*")
    page.wait_for_load_state("load")
    page.select_option("#label", "robin")
    page.set_input_files("#files", paths)
    page.click("button:has-text('Upload')")
    expect(page.locator("#file-list .file-row")).to_have_count(FILES + 1)
    expect(page.locator("#file-list .file-busy")).to_have_count(0, timeout=60_000)
    expect(page.locator("#file-list .file-ok")).to_have_count(FILES)
    refused = page.inner_text("#file-list .file-error")
    assert "fake-bird.png" in refused and "Refused" in refused, refused
    assert "queued for the chain" in page.inner_text("#file-list .file-ok >> nth=0")
    assert page.inner_text("#upload-progress") == f"All {FILES + 1} files done."
    assert [u for u in posts if "/items" in u] == []  # no file went by the single-upload endpoint
    assert len([u for u in posts if u.endswith("/uploads")]) == 1  # 26 small files fit one batch
    visit.shot("contribute-bulk")
    visit.close()

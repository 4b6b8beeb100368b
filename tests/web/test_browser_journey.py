"""A newcomer's journey in a real browser: Debian's Chromium driven by Playwright, against a live server.

Screenshots of every page land in ``test-artifacts/screenshots/`` (``SEBRUS_TEST_ARTIFACTS`` moves
them). Without Chromium the tests skip locally and fail in CI; ``scripts/install_browser.sh``
installs it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tests.sdk.live_server import LiveServer
from tests.web.browser_support import DESKTOP, PHONE, Visit
from tests.web.web_helpers import PASSWORD, noise_png, picture_png


def files_for_upload(tmp: Path, limit: int) -> dict[str, Path]:
    files = {"good": tmp / "tabby-cat.png", "big": tmp / "huge-photo.png", "fake": tmp / "notes.png"}
    files["good"].write_bytes(picture_png(7))
    big = noise_png((120, 120))
    assert len(big) > limit
    files["big"].write_bytes(big)
    files["fake"].write_bytes(b"These are my notes, not a picture.\n")
    return files


def test_newcomer_journey(chromium: Any, server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page

    page.goto("/")
    assert "Crowdsourced image datasets" in page.inner_text("h1")
    assert re.search(r"Latest block\s+\d+", page.inner_text("main"))
    visit.shot("home")

    # Register (the nav's Register link), then land on the dashboard.
    page.click("text=Register")
    page.fill("#username", "ada")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", "not the same")
    page.click("button:has-text('Create account')")
    assert "two passwords differ" in page.inner_text("#password_confirm-error")
    assert page.input_value("#username") == "ada"
    visit.shot("register-error")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/dashboard")
    assert "Signed in as ada" in page.inner_text("header")

    # Create a dataset with a 10 KB limit; the page shows the contract's address.
    page.click("nav >> text=Create a Dataset")
    page.fill("#name", "Pets")
    page.fill("#description", "Cats and dogs photographed at home.")
    page.fill("#labels", "cat, dog")
    page.fill("#max_mb", "0.01")
    visit.shot("create-dataset")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))
    banner = page.inner_text(".alert-success")
    address = re.search(r"0x[0-9a-fA-F]{40}", banner)
    assert address is not None, banner
    assert server.services.handle.ledger.dataset(address.group(0)).address.lower() == address.group(0).lower()
    visit.shot("dataset-created")

    # Contribute three files: one good, one too large (refused in the browser, never sent) and one that
    # claims to be a PNG but is text (sent, refused by the server).
    files = files_for_upload(tmp_path, limit=10_485)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.click("text=Contribute to this dataset")
    page.wait_for_url("**/contribute?dataset=*")
    page.wait_for_load_state("load")  # contribute.js is attached by then
    page.select_option("#label", "cat")
    page.set_input_files("#files", [str(files["good"]), str(files["big"]), str(files["fake"])])
    page.click("button:has-text('Upload')")
    expect(page.locator("#file-list .file-row")).to_have_count(3)
    expect(page.locator("#file-list .file-busy")).to_have_count(0, timeout=30_000)
    rows = [page.inner_text(f"#file-list .file-row:nth-child({i})") for i in (1, 2, 3)]
    assert "tabby-cat.png" in rows[0] and "Uploaded" in rows[0] and "View item" in rows[0], rows[0]
    assert "huge-photo.png" in rows[1] and "Refused: too large" in rows[1], rows[1]
    assert "notes.png" in rows[2] and "Refused" in rows[2] and "not an image" in rows[2], rows[2]
    uploads = [u for u in sent if "/items?label=cat" in u]
    assert len(uploads) == 2, sent  # the oversized file never left the browser
    assert page.get_attribute("#file-list .file-row:nth-child(1) progress", "value") == "100"
    visit.shot("contribute-results")

    # Several good images in one go, some with the other label.
    more = []
    for seed in range(4):
        path = tmp_path / f"photo-{seed}.png"
        path.write_bytes(picture_png(20 + seed))
        more.append(str(path))
    page.select_option("#label", "dog")
    page.set_input_files("#files", more)
    page.click("button:has-text('Upload')")
    expect(page.locator("#file-list .file-ok")).to_have_count(4, timeout=30_000)

    # The dataset page shows the anchored images as thumbnails that actually load.
    page.click("#view-dataset")
    page.wait_for_selector(".thumb img")
    assert page.locator(".thumb").count() == 5
    page.select_option("#label", "cat")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**label=cat**")
    assert page.locator(".thumb").count() == 1
    assert page.evaluate("document.querySelector('.thumb img').naturalWidth") == 96
    card = page.inner_text(".thumb")
    assert "Pending" in card and "cat" in card and "by ada" in card
    visit.shot("dataset-filtered")
    page.select_option("#status", "approved")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**status=approved**")
    assert page.locator(".thumb").count() == 0 and "No images match" in page.inner_text("main")
    page.goto(page.url.split("?")[0])
    visit.shot("dataset")
    page.goto(page.url + "?label=cat")

    # The item page: provenance from the index and from the contract itself.
    page.click(".thumb a >> nth=0")
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    text = page.inner_text("main")
    digest = hashlib.sha256(files["good"].read_bytes()).hexdigest()
    assert digest in text
    assert re.search(r"Transaction\s+0x[0-9a-f]{64}", text) and re.search(r"Block\s+\d+", text)
    assert "Reviewer votes: not available yet" in text and "No poison scan has looked at this item" in text
    assert "Consistent: the contract" in page.inner_text("#audit-state")
    assert page.evaluate("document.querySelector('.item-image img').naturalWidth") == 96
    visit.shot("item")

    for path, name, heading in (
        ("/profile", "profile", "ada"),
        ("/dashboard", "dashboard", "Datasets"),
        ("/review", "review", "Review"),
    ):
        page.goto(path)
        assert page.inner_text("h1") == heading
        visit.shot(name)
    page.goto("/profile")
    assert "5 images anchored." in page.inner_text("main")

    # Log out from the navigation bar; account pages then send you to Login.
    page.click("header button:has-text('Log out')")
    page.wait_for_url("**/?logged_out=1")
    assert "You are logged out." in page.inner_text("main")
    page.goto("/profile")
    page.wait_for_url("**/login?next=/profile")
    visit.shot("login")
    visit.close()


def test_the_browser_refuses_a_file_that_is_not_an_image_without_sending_it(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    visit = Visit(chromium, server.url, PHONE, "phone")
    page = visit.page
    page.goto("/register")
    page.fill("#username", "bea")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/dashboard")
    page.goto("/datasets/new")
    page.fill("#name", "Birds")
    page.fill("#labels", "sparrow\nrobin")
    page.fill("#max_mb", "abc")
    page.click("button:has-text('Create dataset')")
    assert "number of megabytes" in page.inner_text(".field-invalid")
    assert page.input_value("#name") == "Birds" and page.input_value("#labels") == "sparrow\nrobin"
    visit.shot("create-dataset-error")
    page.fill("#max_mb", "1")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))

    text_file = tmp_path / "readme.txt"
    text_file.write_text("hello")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.click("text=Contribute to this dataset")
    page.wait_for_url("**/contribute?dataset=*")
    page.wait_for_load_state("load")
    page.click("button:has-text('Upload')")  # nothing chosen yet: errors beside the fields
    assert "Choose a label" in page.inner_text("#label-error")
    assert "at least one image" in page.inner_text("#files-error")
    page.select_option("#label", "robin")
    page.set_input_files("#files", [str(text_file)])
    page.click("button:has-text('Upload')")
    page.wait_for_selector("#file-list .file-error")
    assert "not an image: this file is text/plain" in page.inner_text("#file-list")
    assert posts == []
    visit.shot("contribute-refused")
    page.goto("/")
    visit.shot("home")
    # Every other page at phone width (the first dataset holds the first test's images when it ran).
    page.goto("/dashboard")
    visit.shot("dashboard")
    page.goto("/datasets/1")
    visit.shot("dataset")
    if page.locator(".thumb a").count():
        page.click(".thumb a >> nth=0")
        page.wait_for_url(re.compile(r".*/items/\d+$"))
        visit.shot("item")
    page.goto("/profile")
    visit.shot("profile")
    visit.close()

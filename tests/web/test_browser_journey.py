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

import httpx

from tests.support.browser import DESKTOP, PHONE, SHOTS, Visit, register_in_browser
from tests.support.images import noise_png, picture_png
from tests.support.live_server import LiveServer
from tests.support.platform import login
from tests.support.poisoned_digits import make
from tests.support.scans import upload_all, wait_for_scan
from tests.support.web import PASSWORD


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
    # New datasets bound width and height, so the browser decodes the file to check them and fails.
    assert "notes.png" in rows[2] and "Refused: not a readable image" in rows[2], rows[2]
    uploads = [u for u in sent if "/items?label=cat" in u]
    assert len(uploads) == 1, sent  # the oversized and the unreadable file never left the browser
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

    # Ada vouches for two cat pictures as seed images, so that scans have something to calibrate on.
    seeds = []
    for seed in (60, 61):
        path = tmp_path / f"vetted-cat-{seed}.png"
        path.write_bytes(picture_png(seed))
        seeds.append(str(path))
    page.click("summary:has-text('Add vetted seed images')")
    page.select_option("#seed_label_0", "cat")
    page.set_input_files("#seed_files_0", seeds)
    visit.shot("dataset-seed-form")
    page.click("button:has-text('Add to the seed set')")
    page.wait_for_url("**seeded=2**")
    assert "Added 2 images to your seed set." in page.inner_text("#seed-added")
    assert "Your seed set: 2 cat." in page.inner_text("main")
    page.goto(page.url.split("?")[0] + "?label=cat")

    # The item page: provenance from the index and from the contract itself.
    page.click(".thumb a >> nth=0")
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    text = page.inner_text("main")
    digest = hashlib.sha256(files["good"].read_bytes()).hexdigest()
    assert digest in text
    assert re.search(r"Transaction\s+0x[0-9a-f]{64}", text) and re.search(r"Block\s+\d+", text)
    assert "1 vote on one side decides this item" in page.inner_text("#review-rule")
    assert "Votes stay hidden until the item is decided" in page.inner_text("#review-outcome")
    assert "No poison scan has looked at this item" in text
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
    item_url = page.url.replace("/profile", "") + "/items/1"

    # A second person, in a browser of their own, reviews ada's images: approves the cat, rejects a dog.
    review_as_second_user(chromium, server, digest)

    # Ada sees the outcome: the cat is Approved, with the vote that decided it, on her profile and the item.
    page.goto("/profile")
    outcomes = page.inner_text("section[aria-labelledby='list-heading']")
    assert "Approved" in outcomes and "Rejected" in outcomes, outcomes
    page.goto(item_url)
    assert "Approved" in page.inner_text("h1")
    assert "Reviewers decided: Approved, 1 to approve and 0 to reject." in page.inner_text("#review-outcome")
    assert "ben" in page.inner_text("#ballots") and "Approve" in page.inner_text("#ballots")
    visit.shot("item-approved")

    # Log out from the navigation bar; account pages then send you to Login.
    page.click("header button:has-text('Log out')")
    page.wait_for_url("**/?logged_out=1")
    assert "You are logged out." in page.inner_text("main")
    page.goto("/profile")
    page.wait_for_url("**/login?next=/profile")
    visit.shot("login")
    visit.close()


def review_as_second_user(chromium: Any, server: LiveServer, cat_digest: str) -> None:
    """Ben registers, finds Pets on /review, approves the cat and rejects one dog, then claims his payouts."""
    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    register_in_browser(page, "ben")
    page.click("nav >> text=Review")
    page.wait_for_url("**/review")
    page.click(".dataset-choice >> text=Pets")
    page.wait_for_url("**/review?dataset=*")
    queue = page.locator("article.review-item")
    assert queue.count() == 5
    assert "Stake 0.001" in queue.nth(0).inner_text()
    assert "approve" not in page.inner_text("#queue-title ~ p").lower()  # blind: no tally shown
    visit.shot("review-queue")

    cat = page.locator(f"article.review-item:has(input[value='{cat_digest}'])")
    cat.locator("button[value='approve']").click()
    page.wait_for_url("**done=vote")
    assert "Your vote is in." in page.inner_text("[role=status]")
    assert page.locator("article.review-item").count() == 4
    page.locator("article.review-item >> nth=0").locator("button[value='reject']").click()
    page.wait_for_url("**done=vote")
    assert page.locator("article.review-item").count() == 3

    # Both votes decided their items (x = 1): the stakes and rewards wait to be claimed.
    claims = page.locator("ul.claims li")
    assert claims.count() == 2, page.inner_text("main")
    visit.shot("review-claims")
    while claims.count():
        claims.nth(0).locator("button:has-text('Claim')").click()
        page.wait_for_url("**done=claim")
        assert "Claimed" in page.inner_text("[role=status]")
    assert "Nothing to claim." in page.inner_text("main")

    page.goto("/profile")
    visit.shot("profile-reviewer")
    visit.close()


def test_an_owner_sets_a_policy_and_seeds_scans_reads_the_report_and_audits(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    data = make(n_classes=2, per_class=14, seed_per_class=5, rate=0.15, seed=3)
    seed_files: dict[str, list[str]] = {label: [] for label in data.labels}
    for k, (label, image) in enumerate(data.seed):
        path = tmp_path / f"vetted-{label}-{k}.png"
        path.write_bytes(image)
        seed_files[label].append(str(path))
    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    register_in_browser(page, "olga")

    # Create a dataset with a review policy and a vetted seed set, a label per row.
    page.goto("/datasets/new")
    page.wait_for_load_state("load")
    page.fill("#name", "Handwritten digits")
    page.fill("#description", "Digits 0 and 1, written by hand and scanned at 8x8 pixels.")
    page.fill("#labels", ", ".join(data.labels))
    page.fill("#max_mb", "1")
    page.fill("#x", "2")
    page.fill("#stake_eth", "0.002")
    assert page.is_hidden("#reveal-windows")  # shown only with commit-reveal
    page.check("#commit_reveal")
    expect(page.locator("#reveal-windows")).to_be_visible()
    page.fill("#commit_minutes", "30")
    for row, label in enumerate(data.labels):
        page.fill(f"#seed_label_{row}", label)
        page.set_input_files(f"#seed_files_{row}", seed_files[label])
    visit.shot("create-dataset-policy")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))
    dataset_url = page.url.split("?")[0]
    dataset_id = int(dataset_url.rsplit("/", 1)[1])
    assert f"Your seed set holds {len(data.seed)} vetted images." in page.inner_text(".alert-success")
    policy = page.inner_text("section[aria-labelledby='policy-heading']")
    assert "2 on one side" in policy and "0.002 ETH" in policy and "30 min to commit" in policy

    # Two contributors upload through the API (one of them planted a backdoor in some digits).
    with httpx.Client(base_url=server.url, timeout=60) as api:
        upload_all(
            api,  # type: ignore[arg-type]
            dataset_id,
            [(login(api, "grace"), data.honest), (login(api, "mallory"), data.malicious)],  # type: ignore[arg-type]
        )

        # Start a scan; the page follows it and shows the report when it is done.
        page.goto(dataset_url)
        visit.shot("dataset-owner")
        page.click("button:has-text('Start a scan')")
        page.wait_for_url(re.compile(r".*/scans/\d+$"))
        scan_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#scan-summary")).to_be_visible(timeout=90_000)
        scan = wait_for_scan(api, scan_id)  # type: ignore[arg-type]
    assert scan["state"] == "done" and scan["n_flagged"] > 0
    page.reload()
    summary = page.inner_text("#scan-summary")
    assert f"Flagged\n{scan['n_flagged']}" in summary.replace("\t", "\n") and scan["report_sha256"] in summary
    expect(page.locator(".plot img")).not_to_have_count(0)
    flagged = page.locator(".thumb.flagged")
    assert flagged.count() == min(scan["n_flagged"], 24)
    assert page.locator(".thumb.flagged .reasons li").count() >= flagged.count()
    visit.shot("scan")

    # The full HTML report opens in a tab of its own, under its own policy.
    with page.expect_popup() as opened:
        page.click("#report-link")
    report = opened.value
    report.wait_for_load_state("load")
    assert "Scan report" in report.title() or "report" in report.inner_text("body").lower()
    assert report.evaluate("document.images.length") > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    report.screenshot(path=str(SHOTS / "desktop-scan-report.png"), full_page=True)
    report.close()

    # A flagged image's page gives the scan's reasons and the item's audit state.
    page.click(".thumb.flagged a >> nth=0")
    page.wait_for_url(re.compile(r".*/items/\d+$"))
    assert "flagged this item" in page.inner_text("#scan-verdict")
    assert page.locator("section[aria-labelledby='scan-heading'] .reasons li").count() >= 1
    assert "Consistent" in page.inner_text("#audit-state")
    visit.shot("item-flagged")

    # The audit of the whole dataset: database, chain and blobs agree.
    page.goto(dataset_url)
    page.click("button:has-text('Audit this dataset')")
    page.wait_for_url(f"**/datasets/{dataset_id}/audit")
    assert "agree" in page.inner_text("#audit-verdict")
    visit.shot("audit")

    # The navigation bar's Scans and Audit list every dataset's scans and latest audit.
    page.click("nav >> text=Scans")
    page.wait_for_url("**/scans")
    listed = page.inner_text("#scan-list")
    assert f"Scan {scan_id} of Handwritten digits" in listed and "flagged" in listed
    visit.shot("scans")
    page.click("nav >> text=Audit")
    page.wait_for_url("**/audit")
    row = page.locator("#audit-list li", has_text="Handwritten digits")
    assert "by olga" in row.inner_text() and "Agree" in row.inner_text()
    row.locator("button:has-text('Audit')").click()
    page.wait_for_url(f"**/datasets/{dataset_id}/audit")
    assert "agree" in page.inner_text("#audit-verdict")
    assert page.locator("#audit-runs tbody tr").count() == 2
    visit.shot("audit-history")
    visit.close()

    phone = Visit(chromium, server.url, PHONE, "phone")
    phone.page.goto(f"/scans/{scan_id}")
    phone.shot("scan")
    phone.page.goto(dataset_url)
    phone.shot("dataset-scanned")
    phone.close()


def test_the_browser_refuses_a_file_that_is_not_an_image_without_sending_it(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    visit = Visit(chromium, server.url, PHONE, "phone")
    page = visit.page
    register_in_browser(page, "bea")
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
    page.goto("/review?dataset=1")
    visit.shot("review")
    page.goto("/profile")
    visit.shot("profile")
    for path, name in (
        ("/scans", "scans"),
        ("/audit", "audit-index"),
        ("/datasets/1/audit", "audit-history"),
        ("/contribute", "contribute"),
        ("/datasets/new", "create-dataset"),
        ("/logout", "logout"),
    ):
        page.goto(path)
        visit.shot(name)
    page.goto("/no-such-page")
    assert "There is no page at /no-such-page" in page.inner_text("main")
    visit.shot("not-found")
    visit.close()

"""Releases and incident state in a real browser, at desktop and phone widths: the owner publishes a
release with notes from the page, revokes a contributor, publishes again; everyone sees both releases
with their roots, transactions, counts and the diff (the revoked contributor's item removed, with why),
downloads a zip that ``sebrus verify`` accepts, and sees the held item as "Held" on the dataset and item
pages. Screenshots: releases-owner, releases, dataset-held, item-held."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import httpx

from sebrus.releases.verify import verify_export
from tests.support.browser import DESKTOP, PHONE, Visit, log_in_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer
from tests.support.web import api_user

REASON = "uploads pictures with a trigger patch"


def _wallet(api: httpx.Client, auth: dict[str, str]) -> str:
    wallets = api.get("/api/wallets", headers=auth).json()["wallets"]
    return str(next(w["address"] for w in wallets if w["kind"] == "custodial"))


def _contribute_and_approve(
    api: httpx.Client, ds: int, who: dict[str, str], reviewer: dict[str, str], seed: int, label: str
) -> str:
    sent = api.post(
        f"/api/dataset/{ds}/items", params={"label": label}, content=picture_png(seed), headers=who
    )
    assert sent.status_code == 201, sent.text
    sha = str(sent.json()["item"]["content_hash"])
    voted = api.post(f"/api/dataset/{ds}/review/items/{sha}/vote", json={"approve": True}, headers=reviewer)
    assert voted.status_code == 200, voted.text
    return sha


def _publish(page: Any, ds: int, notes: str, version: int) -> None:
    page.goto(f"/datasets/{ds}/releases")
    page.fill("#notes", notes)
    page.click("button:has-text('Publish the next release')")
    page.wait_for_url(f"**/datasets/{ds}/releases?published={version}")
    assert f"Release {version} is published" in page.inner_text("#published")


def test_an_owner_publishes_and_everyone_downloads_verifies_and_sees_holds(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    for viewport, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        with httpx.Client(base_url=server.url, timeout=60) as api:
            owner, alice, mallory, reviewer = (
                api_user(api, f"rel-{role}-{tag}") for role in ("owner", "alice", "mallory", "reviewer")
            )
            body = {
                "datasetName": f"Garden birds ({tag})",
                "description": "Birds at the feeder.",
                "labels": ["robin", "wren"],
                "review_policy": {"x": 1},
            }
            created = api.post("/api/dataset", json=body, headers=owner)
            assert created.status_code == 201, created.text
            ds = int(created.json()["new_dataset"]["id"])
            base = 60 if tag == "desktop" else 70
            for offset, label in enumerate(("robin", "wren", "robin")):
                _contribute_and_approve(api, ds, alice, reviewer, base + offset, label)
            held = _contribute_and_approve(api, ds, mallory, reviewer, base + 5, "wren")

            visit = Visit(chromium, server.url, viewport, tag)
            page = visit.page
            log_in_in_browser(page, f"rel-owner-{tag}")
            _publish(page, ds, "Four birds, all approved.", 1)

            revoke = {"contributor": _wallet(api, mallory), "reason": REASON}
            revoked = api.post(f"/api/dataset/{ds}/revocations", json=revoke, headers=owner)
            assert revoked.status_code == 201, revoked.text
            _publish(page, ds, "Without the revoked contributor's picture.", 2)
            visit.shot("releases-owner")  # the publish form, for the accessibility audit
            releases = api.get(f"/api/dataset/{ds}/releases").json()["releases"]
            visit.close()

        # Anyone, not signed in.
        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        page.goto(f"/datasets/{ds}/releases")
        assert page.locator("#publish-heading").count() == 0
        newest = page.locator("#release-2")
        text = newest.inner_text()
        assert releases[1]["merkle_root"] in text and releases[1]["tx_hash"] in text
        assert "Since release 1: 0 added, 1 removed, 0 relabelled." in text
        newest.locator("summary").click()
        assert held in newest.inner_text() and REASON in newest.inner_text()
        assert f"sebrus verify garden-birds-{tag}-v2" in text
        visit.shot("releases")

        with page.expect_download() as started:
            newest.get_by_role("link", name="ImageFolder zip of release 2").click()
        archive = tmp_path / f"{tag}.zip"
        started.value.save_as(archive)
        with zipfile.ZipFile(archive) as unpacked:
            unpacked.extractall(tmp_path / tag)
        report = verify_export(tmp_path / tag / f"garden-birds-{tag}-v2", None)
        assert (
            report.ok and report.files_checked == 3 and report.recomputed_root == releases[1]["merkle_root"]
        )

        page.goto(f"/datasets/{ds}")
        thumb = page.locator(".thumb", has=page.locator(f"img[src*='{held}']"))
        assert thumb.locator(".badge-held").inner_text() == "Held" and REASON in thumb.inner_text()
        assert thumb.locator(".badge-approved").count() == 0
        visit.shot("dataset-held")
        thumb.get_by_role("link", name="Details").click()
        page.wait_for_url("**/items/*")
        assert page.locator("h1 .badge-held").inner_text() == "Held"
        assert REASON in page.inner_text("#hold")
        visit.shot("item-held")
        visit.close()

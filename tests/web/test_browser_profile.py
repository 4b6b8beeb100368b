"""The profile's review sections in a real browser, at desktop and phone widths: an owner puts a reviewer on
the allow-list and funds the reward pool through the page's forms; the reviewer, once they have voted
and claimed, sees their votes, earnings and reputation. Screenshots: profile-owner, profile-reviewer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.browser import DESKTOP, PHONE, Visit, log_in_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer
from tests.support.web import api_user


def test_an_owner_lists_a_reviewer_and_funds_the_pool_who_then_sees_their_earnings(
    chromium: Any, server: LiveServer
) -> None:
    for viewport, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        with httpx.Client(base_url=server.url, timeout=60) as api:
            owner, reviewer, contributor = (f"{role}-{tag}" for role in ("owner", "reviewer", "contrib"))
            owner_auth = api_user(api, owner)
            reviewer_auth = api_user(api, reviewer)
            contributor_auth = api_user(api, contributor)
            body = {
                "datasetName": f"Birds ({tag})",
                "description": "Birds at the feeder.",
                "labels": ["robin", "wren"],
                "review_policy": {"x": 1, "voters": "allow-list", "reward_wei": 10**15},
            }
            created = api.post("/api/dataset", json=body, headers=owner_auth)
            assert created.status_code == 201, created.text
            ds = created.json()["new_dataset"]["id"]

            visit = Visit(chromium, server.url, viewport, tag)
            page = visit.page
            log_in_in_browser(page, owner)
            page.goto(f"/profile#dataset-{ds}")
            panel = f"#dataset-{ds}"
            assert "Nobody is on the list." in page.inner_text(panel)

            page.fill(f"#voter-{ds}", reviewer)
            page.click(f"{panel} button:has-text('Add')")
            page.wait_for_url(f"**/profile?done=voter-added&dataset={ds}#dataset-{ds}")
            assert "Added to the allow-list." in page.inner_text(panel)
            assert reviewer in page.inner_text(f"{panel} table")

            page.fill(f"#fund_eth-{ds}", "half an ether")  # refused, and what was typed stays
            page.click(f"{panel} button:has-text('Fund')")
            page.wait_for_selector(f"#fund_eth-{ds}-error")
            assert page.input_value(f"#fund_eth-{ds}") == "half an ether"
            page.fill(f"#fund_eth-{ds}", "0.05")
            page.click(f"{panel} button:has-text('Fund')")
            page.wait_for_url(f"**/profile?done=funded&dataset={ds}#dataset-{ds}")
            assert "The pool is funded." in page.inner_text(panel)
            pool = api.get(f"/api/dataset/{ds}/review/pool").json()["books"]
            assert int(pool["pool_wei"]) == 5 * 10**16

            # The listed reviewer votes on a contribution and claims stake and reward.
            sent = api.post(
                f"/api/dataset/{ds}/items",
                params={"label": "robin"},
                content=picture_png(31 if tag == "desktop" else 32),
                headers=contributor_auth,
            )
            assert sent.status_code == 201, sent.text
            sha = sent.json()["item"]["content_hash"]
            review = f"/api/dataset/{ds}/review/items/{sha}"
            voted = api.post(f"{review}/vote", json={"approve": True}, headers=reviewer_auth)
            assert voted.status_code == 200, voted.text
            claimed = api.post(f"{review}/claim", json={}, headers=reviewer_auth)
            assert claimed.status_code == 200, claimed.text
            assert int(claimed.json()["amount_wei"]) == 2 * 10**15  # stake back plus the reward

            page.goto(f"/profile#dataset-{ds}")
            assert "<strong>67</strong>" in page.inner_html(panel)  # the reviewer's reputation
            visit.shot("profile-owner")
            visit.close()

            visit = Visit(chromium, server.url, viewport, tag)
            page = visit.page
            log_in_in_browser(page, reviewer)
            page.goto("/profile#reviewing")
            record = page.inner_text("#reviewing")
            assert (
                f"Birds ({tag})" in record
                and "Approve" in record
                and "Nothing waiting to be claimed." in record
            )
            assert "0.002 ETH" in record and "0.001 ETH" in record  # claimed; net gain is the reward
            visit.shot("profile-reviewer")
            visit.close()

"""Federated training on the dataset page in a real browser, at desktop and phone widths: the owner
starts a federation from the form; after the engine's rounds are anchored, a visitor sees each round's
exclusions and transaction and the final model's hash and download. Screenshots: federation-owner,
federation."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

import httpx
from eth_account import Account

from sebrus.federated.records import LossReport
from sebrus.federated.reports import loss_reports_sha256
from tests.support.browser import DESKTOP, PHONE, Visit, log_in_in_browser
from tests.support.live_server import LiveServer
from tests.support.web import api_user

MODEL = b"final federated weights"


def test_an_owner_starts_a_federation_and_a_visitor_sees_its_rounds(
    chromium: Any, server: LiveServer
) -> None:
    wallets = [Account.create().address for _ in range(3)]
    for viewport, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        with httpx.Client(base_url=server.url, timeout=60) as api:
            owner = api_user(api, f"fed-owner-{tag}")
            body = {
                "datasetName": f"Federated birds ({tag})",
                "description": "Kept at home.",
                "labels": ["robin", "wren"],
            }
            created = api.post("/api/dataset", json=body, headers=owner)
            assert created.status_code == 201, created.text
            ds = int(created.json()["new_dataset"]["id"])

            visit = Visit(chromium, server.url, viewport, tag)
            page = visit.page
            log_in_in_browser(page, f"fed-owner-{tag}")
            page.goto(f"/datasets/{ds}")
            page.locator("#federation-start summary").click()
            page.fill("#rounds", "2")
            page.fill("#epsilon", "0.5")
            visit.shot("federation-owner")
            page.click("button:has-text('Open the federation on chain')")
            page.wait_for_url(f"**/datasets/{ds}?federation=started#federations")
            assert "Federation opened on chain" in page.inner_text("#federation-started")
            visit.close()

            (federation,) = api.get(f"/api/dataset/{ds}/federations").json()["federations"]
            fid = federation["id"]
            for index in (1, 2):  # what `sebrus federate start` sends for the engine
                excluded = [wallets[2]] if index == 2 else []
                reports = [
                    LossReport(w, index + 0.5 * i, 12, "0x" + "ef" * 65) for i, w in enumerate(wallets)
                ]
                sent = api.post(
                    f"/api/federations/{fid}/rounds",
                    json={
                        "round_index": index,
                        "participants": wallets,
                        "excluded": excluded,
                        "separated": bool(excluded),
                        "aggregate_sha256": hashlib.sha256(f"agg {index}".encode()).hexdigest(),
                        "loss_reports_sha256": loss_reports_sha256(reports),
                        "loss_reports": [asdict(r) for r in reports],
                    },
                    headers=owner,
                )
                assert sent.status_code == 201, sent.text
            sha = hashlib.sha256(MODEL).hexdigest()
            put = api.put(
                f"/api/federations/{fid}/model", params={"sha256": sha}, content=MODEL, headers=owner
            )
            assert put.status_code == 200, put.text
            rounds = api.get(f"/api/federations/{fid}").json()["federation"]["rounds"]

        visit = Visit(chromium, server.url, viewport, tag)
        page = visit.page
        page.goto(f"/datasets/{ds}#federations")
        section = page.locator(f"#federation-{fid}")
        text = section.inner_text()
        assert "finished, 2 of 2 rounds anchored" in text
        assert wallets[2] in text and rounds[1]["tx_hash"] in text and sha in text
        assert page.locator("#federation-start").count() == 0
        visit.shot("federation")
        with page.expect_download() as started:
            section.get_by_role("link", name="Download").click()
        path = started.value.path()
        assert path is not None and hashlib.sha256(path.read_bytes()).hexdigest() == sha
        visit.close()

"""Scans through the real platform: upload poisoned digits over HTTP, scan, find the quarantines on chain."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select

from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import AuditLogEntry
from tests.support.platform import Platform, login
from tests.support.poisoned_digits import make
from tests.support.scans import all_flagged, seeded_dataset, upload_all, wait_for_scan


def test_a_scan_quarantines_planted_poison_on_chain_and_a_rescan_sends_nothing_twice(
    platform: Platform,
) -> None:
    client, services = platform
    data = make(n_classes=5, per_class=36, seed_per_class=12, rate=0.1)
    owner = login(client, "owner")
    dataset_id = seeded_dataset(client, owner, data)
    honest, mallory = login(client, "honest"), login(client, "mallory")
    upload_all(client, dataset_id, [(honest, data.honest), (mallory, data.malicious)])

    seed = client.get(f"/api/dataset/{dataset_id}/seed", headers=owner).json()
    assert seed["total"] == len(data.seed) and {s["source"] for s in seed["seed"]} == {"upload"}
    held_out = [s for s in seed["seed"] if s["heldout_for_monitoring"]]
    assert len(held_out) == 5 * 3  # a quarter of each label's 12 seed files: monitoring's, not the scans'
    assert client.get(f"/api/dataset/{dataset_id}/seed", headers=honest).status_code == 403

    refused = client.post(f"/api/dataset/{dataset_id}/scans", json={}, headers=mallory)
    assert refused.status_code == 403 and "owner" in refused.json()["status"]

    # 180 items and 20 calibration images: at the default 5% false-discovery rate the scan caught 8 of the
    # 18 planted items with no false flag; this test is about the path to the chain, so it asks the
    # per-item operating point (5% of clean items) that catches most of them.
    started = client.post(
        f"/api/dataset/{dataset_id}/scans", json={"scope": "all", "fpr": 0.05}, headers=owner
    )
    assert started.status_code == 202, started.text
    scan_id = started.json()["scan"]["id"]
    scan = wait_for_scan(client, scan_id)
    assert scan["state"] == "done", scan
    n_items = len(data.honest) + len(data.malicious)
    n_trusted = len(data.seed) - len(held_out)
    assert (scan["n_items"], scan["n_trusted"], scan["progress"]) == (n_items, n_trusted, 1.0)
    assert scan["fpr"] == 0.05 and scan["fdr"] is None
    assert scan["trusted_message"].startswith(f"The {n_trusted} trusted seed images were used")
    assert scan["expected_false_positives"] is not None

    planted = {hashlib.sha256(png).hexdigest() for png in data.planted}
    flagged = all_flagged(client, scan_id)
    assert len(flagged) == scan["n_flagged"] > 0
    caught = [f for f in flagged if f["sha256"] in planted]
    assert len(caught) >= len(planted) // 2, f"caught {len(caught)} of {len(planted)} planted items"
    for entry in flagged:
        assert entry["reasons"] and all({"detector", "score", "detail"} <= set(r) for r in entry["reasons"])
    assert [f["suspicion"] for f in flagged] == sorted((f["suspicion"] for f in flagged), reverse=True)

    report = client.get(f"/api/scans/{scan_id}/report.json")
    assert report.status_code == 200
    assert hashlib.sha256(report.content).hexdigest() == scan["report_sha256"]
    body = report.json()
    assert {i["sha256"] for i in body["items"] if i["flagged"]} == {f["sha256"] for f in flagged}
    assert {c["id"] for c in body["contributors"]} == {
        f["contributor"] for f in all_flagged(client, scan_id)
    } | {i["contributor"] for i in body["items"]}
    page = client.get(f"/api/scans/{scan_id}/report.html")
    assert page.status_code == 200 and page.text.lstrip().lower().startswith("<!doctype html")
    assert "script-src" not in page.headers["content-security-policy"]

    ledger, address = (
        services.handle.ledger,
        client.get(f"/api/dataset/{dataset_id}").json()["dataset"]["address"],
    )
    sent = [f for f in flagged if f["quarantine"] == "sent"]
    assert sent and scan["quarantine"]["sent"] == len(sent)
    assert len([f for f in sent if f["sha256"] in planted]) >= len(planted) // 2
    for entry in sent:
        on_chain = ledger.get_item(address, entry["sha256"])
        assert on_chain is not None and on_chain.status is ChainStatus.QUARANTINED
    events = ledger.events(names=["ItemQuarantined"])
    assert {bytes(e.args["contentHash"]).hex() for e in events} == {f["sha256"] for f in sent}
    assert {bytes(e.args["reportHash"]).hex() for e in events} == {scan["report_sha256"]}
    assert {e.args["detector"] for e in events} == {services.link.operators.detector.address}

    deadline = time.monotonic() + 20  # the indexer applies ItemQuarantined to the items' rows
    while client.get(f"/api/dataset/{dataset_id}/items", params={"status": "quarantined"}).json()[
        "total"
    ] < len(sent):
        assert time.monotonic() < deadline
        time.sleep(0.2)

    again = client.post(f"/api/dataset/{dataset_id}/scans", json={"scope": "all"}, headers=owner)
    assert again.status_code == 202
    rescan = wait_for_scan(client, again.json()["scan"]["id"])
    assert rescan["state"] == "done"
    rescanned = {f["sha256"]: f for f in all_flagged(client, rescan["id"])}
    previously = {f["sha256"] for f in sent}
    assert previously & set(rescanned), "the rescan should flag some of the same items again"
    for sha, entry in rescanned.items():  # results are per scan; an item quarantined before is not re-sent
        assert entry["quarantine"] == ("skipped" if sha in previously else "sent"), entry
    quarantined = [bytes(e.args["contentHash"]).hex() for e in ledger.events(names=["ItemQuarantined"])]
    assert len(quarantined) == len(set(quarantined)) == len(sent) + rescan["quarantine"]["sent"]
    print(f"planted {len(planted)}, flagged {len(flagged)}, caught {len(caught)}, rescan {len(rescanned)}")

    nothing_new = client.post(
        f"/api/dataset/{dataset_id}/scans", json={"scope": "new-since-last"}, headers=owner
    )
    quiet = wait_for_scan(client, nothing_new.json()["scan"]["id"])
    assert quiet["state"] == "done" and quiet["insufficient_data"] and "nothing new" in quiet["message"]

    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        actions = [
            a
            for (a,) in db.execute(
                select(AuditLogEntry.action).where(AuditLogEntry.subject == f"dataset:{dataset_id}")
            )
        ]
    assert actions.count("scan.start") == 3 and actions.count("scan.finish") == 3
    assert actions.count("item.quarantine") == len(ledger.events(names=["ItemQuarantined"]))

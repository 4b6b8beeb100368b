"""Revoking a contributor through the API on the embedded chain: holds on chain, quarantine of what is
still open, the next release leaves their items out, clearing brings one back; trace and audit export
show it all."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.chain.errors import ContractReverted
from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.db.models import (
    Item,
    MetricState,
    Release,
    ReleaseMetric,
    Revocation,
    Scan,
    ScanResult,
    ScanState,
    Wallet,
)
from tests.support.platform import (
    Auth,
    Platform,
    create_dataset,
    login,
    review_path,
    running_platform,
    upload,
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("incidents") / "data") as running:
        yield running


def _wallet(client: TestClient, auth: Auth) -> str:
    wallets = client.get("/api/wallets", headers=auth).json()["wallets"]
    return str(next(w["address"] for w in wallets if w["kind"] == "custodial"))


def _approve(client: TestClient, reviewer: Auth, dataset_id: int, sha: str) -> None:
    voted = client.post(
        review_path(dataset_id, "items", sha, "vote"), json={"approve": True}, headers=reviewer
    )
    assert voted.status_code == 200, voted.text
    assert voted.json()["item"]["status"] == "approved"


def _publish(client: TestClient, owner: Auth, dataset_id: int) -> dict[str, Any]:
    published = client.post(f"/api/dataset/{dataset_id}/releases", json={}, headers=owner)
    assert published.status_code == 201, published.text
    release: dict[str, Any] = published.json()["release"]
    return release


def _release_hashes(client: TestClient, dataset_id: int, version: int) -> set[str]:
    body = client.get(f"/api/dataset/{dataset_id}/releases/{version}/items", params={"limit": 100}).json()
    return {i["sha256"] for i in body["items"]}


def test_revocation_holds_quarantines_excludes_and_clears_with_trace_and_audit(platform: Platform) -> None:
    client, services = platform
    owner, alice, mallory, reviewer = (login(client, n) for n in ("owner", "alice", "mallory", "rev"))
    dataset = create_dataset(client, owner, "incidents", {"x": 1, "stake_wei": 10**12})
    ds, address = int(dataset["id"]), str(dataset["address"])
    good = [upload(client, alice, ds, seed) for seed in (1, 2)]
    bad = [upload(client, mallory, ds, seed) for seed in (11, 12, 13)]
    for sha in good + bad[:2]:
        _approve(client, reviewer, ds, sha)
    assert _release_hashes(client, ds, _publish(client, owner, ds)["version"]) == set(good + bad[:2])

    mallory_wallet = _wallet(client, mallory)
    body = {"contributor": mallory_wallet, "reason": "uploads digits with a trigger patch"}
    refused = client.post(f"/api/dataset/{ds}/revocations", json=body, headers=alice)
    assert refused.status_code == 403, refused.text
    revoked = client.post(f"/api/dataset/{ds}/revocations", json=body, headers=owner)
    assert revoked.status_code == 201, revoked.text
    revocation = revoked.json()["revocation"]
    assert {i["sha256"]: i["action"] for i in revocation["items"]} == {
        bad[0]: "held", bad[1]: "held", bad[2]: "quarantined",
    }  # fmt: skip
    again = client.post(f"/api/dataset/{ds}/revocations", json=body, headers=owner)
    assert again.status_code == 409

    # On chain: the Pending item is Quarantined on the dataset, the Approved ones stay Approved there
    # (status is final) and are held by the registry, one ItemRequarantined event per item.
    ledger, registry = services.handle.ledger, services.revocations
    assert registry is not None
    assert ledger.get_item(address, bad[2]).status is ChainStatus.QUARANTINED  # type: ignore[union-attr]
    assert ledger.get_item(address, bad[0]).status is ChainStatus.APPROVED  # type: ignore[union-attr]
    assert [registry.is_held(address, h) for h in bad + good] == [True, True, True, False, False]
    events = ledger.events(names=["ContributorRevoked", "ItemRequarantined"])
    assert [e.name for e in events].count("ContributorRevoked") == 1
    assert {bytes(e.args["contentHash"]).hex() for e in events if e.name == "ItemRequarantined"} == set(bad)

    second = _publish(client, owner, ds)
    assert _release_hashes(client, ds, second["version"]) == set(good)
    removed = {r["sha256"]: r["reason"] for r in second["removed"]}
    assert set(removed) == set(bad[:2]) and all("revoked" in r for r in removed.values())

    trace = client.get(f"/api/dataset/{ds}/items/{bad[0]}/trace", headers=owner)
    assert trace.status_code == 200, trace.text
    history = trace.json()["trace"]
    assert (
        history["contributor"]["wallet"] == mallory_wallet and history["contributor"]["username"] == "mallory"
    )
    assert history["upload"]["state"] == "confirmed" and history["item"]["tx_hash"]
    names = [e["event"] for e in history["chain_events"]]
    assert names[0] == "ItemSubmitted" and {"ItemResolved", "ContributorRevoked", "ItemRequarantined"} <= set(
        names
    )
    assert [v["side"] for v in history["votes"]] == ["approve"]
    assert [(r["version"], r["change"]) for r in history["releases"]] == [(1, "included"), (2, "removed")]
    assert [r["action"] for r in history["revocations"]] == ["held"]
    assert client.get(f"/api/dataset/{ds}/items/{bad[0]}/trace", headers=alice).status_code == 403

    cleared = client.post(
        f"/api/dataset/{ds}/revocations/{mallory_wallet}/clear",
        json={"items": [bad[0]], "note": "looked again: a clean 1"},
        headers=owner,
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["cleared"] == [bad[0]] and not registry.is_held(address, bad[0])
    assert _release_hashes(client, ds, _publish(client, owner, ds)["version"]) == {*good, bad[0]}

    exported = client.get(f"/api/dataset/{ds}/audit-log", params={"format": "jsonl"}, headers=owner)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    actions = [r["action"] for r in rows]
    assert actions[0] == "dataset.create" and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert {"contributor.revoke", "contributor.clear", "release.publish", "scan.start"} <= set(actions)
    resolved = [r["details"] for r in rows if r["action"] == "item.resolve"]  # review's verdicts, automated
    assert sorted(d["content_hash"] for d in resolved) == sorted(good + bad[:2])
    assert all(d["status"] == "approved" and d["automated"] for d in resolved)
    revoke_row = next(r for r in rows if r["action"] == "contributor.revoke")
    assert revoke_row["actor"] == "owner" and revoke_row["details"]["contributor"] == mallory_wallet
    as_csv = client.get(f"/api/dataset/{ds}/audit-log", params={"format": "csv"}, headers=owner)
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["action"] for r in table] == actions and json.loads(table[0]["details"]) == rows[0]["details"]
    later = client.get(f"/api/dataset/{ds}/audit-log", params={"after": rows[-2]["id"]}, headers=owner)
    assert [json.loads(line)["id"] for line in later.text.splitlines()] == [rows[-1]["id"]]
    assert client.get(f"/api/dataset/{ds}/audit-log", headers=alice).status_code == 403
    assert (
        client.get(f"/api/dataset/{ds}/audit-log", params={"format": "xml"}, headers=owner).status_code == 422
    )


def test_a_drop_alert_shows_in_the_api_and_on_the_dataset_page(platform: Platform) -> None:
    client, _services = platform
    owner = login(client, "alert-owner")
    dataset = create_dataset(client, owner, "alerting", {"x": 1})
    ds = int(dataset["id"])
    suspect = "0x" + "ab" * 20
    sessions = client.app.state.platform.session_factory  # type: ignore[attr-defined]
    with sessions() as db:
        for version, accuracy, alert in ((1, 0.95, False), (2, 0.81, True)):
            release = Release(
                dataset_id=ds,
                version=version,
                merkle_root="0x" + f"{version:064x}",
                manifest_hash="0x" + "00" * 32,
                item_count=10,
                chain_id=1,
                registry_address="0x" + "44" * 20,
                publisher_address=suspect,
            )
            db.add(release)
            db.flush()
            db.add(
                ReleaseMetric(
                    dataset_id=ds,
                    release_id=release.id,
                    version=version,
                    state=MetricState.DONE,
                    message="ALERT: accuracy fell 14.0% since version 1" if alert else "measured",
                    accuracy=accuracy,
                    per_class={},
                    previous_accuracy=0.95 if alert else None,
                    drop=0.14 if alert else None,
                    threshold=0.02,
                    alert=alert,
                    sources={
                        "contributors": [{"contributor": suspect, "share": 0.8, "new_items": 5}],
                        "classes": [{"label": "dog", "share": 0.9, "new_items": 5}],
                    }
                    if alert
                    else {},
                )
            )
        db.commit()
    body = client.get(f"/api/dataset/{ds}/metrics").json()
    assert [m["version"] for m in body["metrics"]] == [1, 2] and body["alert"]["version"] == 2
    page = client.get(f"/datasets/{ds}")
    assert page.status_code == 200
    block = page.text[page.text.index('id="monitor-alert"') :]
    block = block[: block.index("</section>")]
    assert "Release 2" in block and suspect in block and "dog (90%)" in block and "95.0%" in block


def test_the_registry_checks_ownership_of_items_and_epochs_of_clearance(platform: Platform) -> None:
    client, services = platform
    owner, alice, bob = (login(client, n) for n in ("reg-owner", "reg-alice", "reg-bob"))
    dataset = create_dataset(client, owner, "registry", {"x": 1})
    address = str(dataset["address"])
    a_item, b_item = (
        upload(client, alice, int(dataset["id"]), 101),
        upload(client, bob, int(dataset["id"]), 102),
    )
    registry, alice_wallet = services.revocations, _wallet(client, alice)
    assert registry is not None
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        admin = services.link.signer_for(
            db.scalars(select(Wallet).where(Wallet.address == _wallet(client, owner))).one()
        )
    registry.ensure_deployed(services.link.operators.deployer)
    reason = "ab" * 32
    with pytest.raises(ContractReverted) as not_admin:
        registry.revoke(services.link.operators.deployer, address, alice_wallet, reason)
    assert not_admin.value.error == "NotDatasetAdmin"
    with pytest.raises(ContractReverted) as not_revoked:
        registry.requarantine(admin, address, alice_wallet, [a_item], reason)
    assert not_revoked.value.error == "NotRevoked"
    registry.revoke(admin, address, alice_wallet, reason)
    with pytest.raises(ContractReverted) as foreign:
        registry.requarantine(admin, address, alice_wallet, [a_item, b_item], reason)  # bob's item
    assert foreign.value.error == "NotContributorsItem"
    assert registry.is_held(address, a_item) and not registry.is_held(address, b_item)
    registry.clear(admin, address, [a_item], reason)
    assert not registry.is_held(address, a_item)
    with pytest.raises(ContractReverted) as twice:
        registry.clear(admin, address, [a_item], reason)
    assert twice.value.error == "NotHeld"
    registry.reinstate(admin, address, alice_wallet, reason)
    assert registry.revoked_at(address, alice_wallet) == 0
    registry.revoke(admin, address, alice_wallet, reason)  # a new epoch: the old clearance no longer counts
    assert registry.is_held(address, a_item)


def test_reinstating_through_the_api_lifts_the_revocation_on_chain(platform: Platform) -> None:
    client, services = platform
    owner, carol = login(client, "reinstate-owner"), login(client, "reinstate-carol")
    dataset = create_dataset(client, owner, "reinstating", {"x": 1})
    ds, address = int(dataset["id"]), str(dataset["address"])
    held = upload(client, carol, ds, 301)
    carol_wallet = _wallet(client, carol)
    path = f"/api/dataset/{ds}/revocations/{carol_wallet}/reinstate"
    never = client.post(path, json={"reason": "nothing to lift"}, headers=owner)
    assert never.status_code == 404 and "is not revoked" in never.json()["status"]
    body = {"contributor": carol_wallet, "reason": "suspect"}
    revoked = client.post(f"/api/dataset/{ds}/revocations", json=body, headers=owner)
    assert revoked.status_code == 201, revoked.text
    registry = services.revocations
    assert registry is not None and registry.is_held(address, held)

    assert client.post(path, json={"reason": "not me"}, headers=carol).status_code == 403
    lifted = client.post(path, json={"reason": "false alarm"}, headers=owner)
    assert lifted.status_code == 200, lifted.text
    answer = lifted.json()
    assert answer["status"] == "Reinstated." and answer["revocation"]["state"] == "lifted"
    assert answer["revocation"]["lifted_at"] is not None and "items" not in answer["revocation"]
    assert registry.revoked_at(address, carol_wallet) == 0 and not registry.is_held(address, held)
    assert client.post(path, json={"reason": "again"}, headers=owner).status_code == 404


def test_clear_by_default_keeps_what_the_rescan_found_suspicious_and_refuses_before_it(
    platform: Platform,
) -> None:
    client, services = platform
    owner, alice, dave = (login(client, n) for n in ("clear-owner", "clear-alice", "clear-dave"))
    dataset = create_dataset(client, owner, "clearing", {"x": 1})
    ds, address = int(dataset["id"]), str(dataset["address"])
    honest = [upload(client, alice, ds, seed) for seed in (501, 502, 503, 504, 505)]
    mine = [upload(client, dave, ds, seed) for seed in (511, 512, 513, 514)]
    dave_wallet = _wallet(client, dave)
    revoked = client.post(
        f"/api/dataset/{ds}/revocations", json={"contributor": dave_wallet, "reason": "flips"}, headers=owner
    )
    assert revoked.status_code == 201, revoked.text
    path = f"/api/dataset/{ds}/revocations/{dave_wallet}/clear"
    # The rescan of so few items ends with insufficient data (or has not finished): nothing is released.
    early = client.post(path, json={"note": "looked"}, headers=owner)
    assert early.status_code == 409 and "nothing was cleared" in early.json()["status"]
    assert client.post(path, json={"note": "looked"}, headers=alice).status_code == 403

    # Stand in a finished rescan: one flagged, one unflagged but above the honest scores, one
    # unremarkable, one never scored.
    sessions = client.app.state.platform.session_factory  # type: ignore[attr-defined]
    with sessions() as db:
        items = {i.content_hash: i for i in db.scalars(select(Item).where(Item.dataset_id == ds))}
        scan = Scan(dataset_id=ds, state=ScanState.DONE)
        db.add(scan)
        db.flush()
        scores = {**dict(zip(honest, (0.1, 0.2, 0.3, 0.35, 0.4), strict=True)), mine[0]: 0.95}
        scores.update({mine[1]: 0.8, mine[2]: 0.05})
        for sha, suspicion in scores.items():
            db.add(
                ScanResult(
                    scan_id=scan.id,
                    item_id=items[sha].id,
                    content_hash=sha,
                    suspicion=suspicion,
                    flagged=sha == mine[0],
                )
            )
        revocation = db.scalars(select(Revocation).where(Revocation.dataset_id == ds)).one()
        revocation.rescan_id = scan.id
        db.commit()
    cleared = client.post(path, json={"note": "looked again"}, headers=owner)
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert body["cleared"] == [mine[2]]
    reasons = {h["sha256"]: h["reason"] for h in body["still_held"]}
    assert reasons == {
        mine[0]: "flagged by the rescan",
        mine[1]: "scored above 95% of other contributors' items",
        mine[3]: "not scored by the rescan",
    }
    assert body["status"].startswith("Cleared 1 item(s); 3 stay held") and "Name an item" in body["status"]
    registry = services.revocations
    assert registry is not None and not registry.is_held(address, mine[2])
    assert all(registry.is_held(address, h) for h in (mine[0], mine[1], mine[3]))

    # Named explicitly, even a flagged item is released.
    named = client.post(path, json={"note": "checked by hand", "items": [mine[0]]}, headers=owner)
    assert named.status_code == 200 and named.json()["cleared"] == [mine[0]]
    assert not registry.is_held(address, mine[0])
    again = client.post(path, json={"note": "looked again"}, headers=owner)
    assert again.json()["cleared"] == [] and len(again.json()["still_held"]) == 2

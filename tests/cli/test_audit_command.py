"""``sebrus audit`` against a live server: the verdict is the exit status, --json is the API's report."""

from __future__ import annotations

import hashlib
import json

from sebrus.sdk import Client
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import PASSWORD, LiveServer


def test_audit_exits_0_when_clean_and_1_when_a_chain_item_has_no_blob(
    sebrus: Invoke, server: LiveServer
) -> None:
    with Client(server.url) as client:
        client.register("auditor", PASSWORD)
        token = client.login("auditor", PASSWORD)
        dataset = client.create_dataset("audited-by-cli", "", ["cat", "dog"])
        for seed in (1, 2):
            assert client.upload(dataset.id, png(seed), "cat").outcome == "anchored"

    clean = sebrus("audit", "--dataset", str(dataset.id), "--json")
    assert clean.exit_code == 0, clean.output
    body = json.loads(clean.stdout)
    assert body["ok"] is True
    [report] = body["datasets"]
    assert report["dataset_id"] == dataset.id and report["counts"]["chain_items"] == 2

    # An item anchored behind the platform's back: indexed from its event, but its bytes never arrived.
    handle = server.services.handle
    stray = hashlib.sha256(b"no bytes for this one").digest()
    handle.ledger.submit(handle.operators.deployer, dataset.address, stray, "dog")
    server.services.indexer.sync()

    shared = sebrus("audit", "--dataset", str(dataset.id))  # anonymous: the run of a moment ago
    assert shared.exit_code == 0 and "a shared run from" in " ".join(shared.stdout.split()), shared.output

    tampered = sebrus("audit", "--dataset", str(dataset.id), "--json", "--token", token)
    assert tampered.exit_code == 1, tampered.output
    [report] = json.loads(tampered.stdout)["datasets"]
    assert [(f["kind"], f["content_hash"]) for f in report["findings"]] == [("blob_missing", stray.hex())]

    everything = sebrus("audit")  # every dataset, for people
    assert everything.exit_code == 1
    assert "blob_missing" in everything.stdout and "mismatch" in everything.stdout


def test_audit_of_an_unknown_dataset_says_so(sebrus: Invoke) -> None:
    missing = sebrus("audit", "--dataset", "424242")
    assert missing.exit_code == 1
    assert "not found" in missing.output.lower()

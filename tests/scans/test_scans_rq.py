"""The Redis path: the server queues the scan, a worker (RQ SimpleWorker, in this process) runs it with the
database and blobs only, and the server's quarantine loop sends what it flagged."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sebrus.chain.types import ItemStatus as ChainStatus
from sebrus.cli import app as cli_app
from sebrus.platform import ChainServices
from tests.support.platform import cheap_settings, login, serving
from tests.support.poisoned_digits import make
from tests.support.scans import all_flagged, seeded_dataset, upload_all, wait_for_scan

pytestmark = pytest.mark.redis


@pytest.fixture
def rq_platform(
    tmp_path: Path, redis_queue: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, ChainServices]]:
    url, queue = redis_queue
    settings = cheap_settings(tmp_path, upload_rate_per_minute=0, redis_url=url, scan_queue=queue)
    # What a worker process would be given: the same database and data directory, and the queue.
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEBRUS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("SEBRUS_REDIS_URL", url)
    monkeypatch.setenv("SEBRUS_SCAN_QUEUE", queue)
    with serving(settings) as running:
        yield running


def test_a_worker_runs_the_queued_scan_and_the_server_sends_its_quarantines(
    rq_platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = rq_platform
    data = make(n_classes=3, per_class=40, seed_per_class=15, rate=0.1, seed=3)
    owner = login(client, "owner")
    dataset_id = seeded_dataset(client, owner, data, name="digits-rq")
    mallory = login(client, "mallory")
    upload_all(client, dataset_id, [(owner, data.honest), (mallory, data.malicious)])

    started = client.post(f"/api/dataset/{dataset_id}/scans", json={}, headers=owner)
    assert started.status_code == 202, started.text
    scan = started.json()["scan"]
    assert scan["backend"] == "rq" and scan["state"] == "queued"
    time.sleep(1.0)  # no thread in the server runs it: it waits for a worker
    assert client.get(f"/api/scans/{scan['id']}").json()["scan"]["state"] == "queued"

    worked = CliRunner().invoke(cli_app, ["worker", "--scans-only", "--burst", "--simple"])
    assert worked.exit_code == 0, worked.output

    done = wait_for_scan(client, scan["id"], timeout=60)
    assert done["state"] == "done", done
    assert done["n_items"] == len(data.honest) + len(data.malicious)
    planted = {hashlib.sha256(png).hexdigest() for png in data.planted}
    flagged = all_flagged(client, scan["id"])
    sent = [f for f in flagged if f["quarantine"] == "sent"]
    assert {f["sha256"] for f in sent} & planted, "the worker's scan should flag some planted items"
    address = client.get(f"/api/dataset/{dataset_id}").json()["dataset"]["address"]
    for entry in sent:
        on_chain = services.handle.ledger.get_item(address, entry["sha256"])
        assert on_chain is not None and on_chain.status is ChainStatus.QUARANTINED
    report = client.get(f"/api/scans/{scan['id']}/report.json")
    assert hashlib.sha256(report.content).hexdigest() == done["report_sha256"]


def test_the_worker_command_needs_a_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEBRUS_REDIS_URL", raising=False)
    refused = CliRunner().invoke(cli_app, ["worker", "--scans-only", "--burst"])
    assert refused.exit_code == 2 and "SEBRUS_REDIS_URL" in refused.output

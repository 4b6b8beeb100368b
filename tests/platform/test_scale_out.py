"""The production shape: two web processes and workers over PostgreSQL and an rpc chain.

Uploads go to either web process (uvicorn hands connections to both); the relayer, indexer and the
other loops run in ``sebrus worker`` processes under leases. Afterwards nothing is lost or
duplicated, the audit is clean, no transaction reverted and no process saw a nonce error. Killing
the worker that owns the loops hands them to the standby, which anchors what came after.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from web3 import HTTPProvider, Web3

from sebrus.sdk import Client
from sebrus.testing.cluster import (
    Process,
    cluster_environment,
    reverted_transactions,
    start_web,
    start_worker,
    wait_for_log,
)
from sebrus.testing.databases import postgres_schema, postgres_server_url
from tests.support.chain import rpc_settings
from tests.support.images import png
from tests.support.live_server import PASSWORD
from tests.support.s3 import FAKE_AWS, S3Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LABELS = ("cat", "dog")


def upload(url: str, token: str, dataset_id: int, seeds: range) -> dict[str, int]:
    """Upload one image per seed from 12 threads; the status each content hash was answered with."""
    answers: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=90, headers={"Authorization": f"Bearer {token}"}) as http:

        def send(seed: int) -> None:
            data = png(seed)
            response = http.post(
                f"/api/dataset/{dataset_id}/items",
                params={"label": LABELS[seed % 2]},
                content=data,
                headers={"Content-Type": "image/png"},
            )
            answers[hashlib.sha256(data).hexdigest()] = response.status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(send, seeds))
    return answers


def settled_audit(url: str, dataset_id: int, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        report: dict[str, object] = httpx.get(f"{url}/api/dataset/{dataset_id}/audit", timeout=60).json()
        counts = report["counts"]
        assert isinstance(counts, dict)
        if counts["outbox_pending"] == 0 and counts["outbox_sent"] == 0:
            return report
        assert time.monotonic() < deadline, f"the outbox never drained: {counts}"
        time.sleep(0.5)


@pytest.fixture
def own_schema(postgres_url: str) -> Iterator[str]:
    """A schema of this test's own: the deployment's rows must not leak into the session schema."""
    with postgres_schema(postgres_server_url()) as url:
        yield url


def test_two_web_processes_and_workers_lose_nothing_and_fail_over(
    tmp_path: Path, own_schema: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain_url = str(rpc_settings(tmp_path / "probe").chain_url)  # skips without the suite's anvil
    first_block = int(Web3(HTTPProvider(chain_url)).eth.block_number) + 1
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)  # the child processes inherit them
    bucket = s3_server.new_bucket()
    env = cluster_environment(
        data_dir, own_schema, chain_url, blob_url=f"s3://{bucket}/blobs", s3_endpoint=s3_server.endpoint_url
    )
    processes: list[Process] = []
    try:
        web, url = start_web(env, tmp_path, workers=2)
        processes.append(web)
        first = start_worker(env, tmp_path, "worker-1")
        processes.append(first)
        wait_for_log(first, "took the relayer lease")
        standby = start_worker(env, tmp_path, "worker-2")
        processes.append(standby)
        wait_for_log(standby, "worker running")

        with Client(url) as client:
            client.register("owner", PASSWORD)
            client.login("owner", PASSWORD)
            dataset = client.create_dataset("scale-out", "", list(LABELS))
            client.register("contributor", PASSWORD)
            token = client.login("contributor", PASSWORD)

        answers = upload(url, token, dataset.id, range(240))
        assert set(answers.values()) <= {200, 201, 202}, answers

        # The worker holding the loops dies mid-flight; the standby must take them over.
        first.kill()
        later = upload(url, token, dataset.id, range(240, 300))
        assert set(later.values()) <= {200, 201, 202}, later
        wait_for_log(standby, "took the relayer lease", timeout=30)

        report = settled_audit(url, dataset.id)
        assert report["ok"] is True, report["findings"]
        counts = report["counts"]
        assert isinstance(counts, dict)
        with Client(url) as client:
            items = list(client.items(dataset.id))
        hashes = [item.content_hash for item in items]
        assert len(hashes) == len(set(hashes)), "an item was indexed twice"
        assert set(hashes) == set(answers) | set(later), "an acknowledged upload was lost"
        assert counts["chain_item_count"] == counts["db_items"] == 300
        assert counts["outbox_failed"] == 0
        stored = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="blobs/")
        assert stored["KeyCount"] >= 300 and not (data_dir / "blobs").exists()  # the images live in S3

        assert reverted_transactions(chain_url, first_block) == 0
        logs = "".join(process.log_text() for process in processes).lower()
        assert "nonce too low" not in logs and "replacement transaction underpriced" not in logs
        assert "duplicate key" not in logs and "uniqueviolation" not in logs
    finally:
        for process in processes:
            process.stop()

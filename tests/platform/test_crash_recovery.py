"""Kill ``sebrus serve`` with SIGKILL along the upload path, restart it, and prove nothing was lost.

The real server runs as a child process on a temporary data directory; images are uploaded from
several threads at once, and the process is killed either from outside while uploads are in
flight or from inside at an exact step (``SEBRUS_FAULT``, see ``sebrus/faults.py``). After each
restart on the same directory, once the relayer and the indexer have caught up:

- every upload the server acknowledged (200/201/202) is an item, with the label it was sent with;
- no item is half-made: every item's bytes are served and hash to its key;
- the audit (database vs chain vs blobs) is clean and the outbox owes nothing;
- nothing was anchored twice: the contract counts exactly the items the database has, and no
  outbox entry was ever resent and refused as a duplicate.

An upload that was not acknowledged may or may not have survived; retrying it must then succeed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from sebrus.sdk import Client
from tests.support.images import png
from tests.support.live_server import PASSWORD
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.slow

LABELS = ("cat", "dog")
ACKED = (200, 201, 202)


class Upload:
    def __init__(self, seed: int) -> None:
        self.data = png(seed)
        self.content_hash = hashlib.sha256(self.data).hexdigest()
        self.label = LABELS[seed % 2]
        self.status: int | None = None  # None: no answer (the server died under it)


def prepare(server: ServerProcess) -> tuple[str, int]:
    """A contributor's API token and a fresh dataset."""
    with Client(server.url) as client:
        client.register("owner", PASSWORD)
        client.login("owner", PASSWORD)
        dataset = client.create_dataset("crash-test", "", list(LABELS))
        client.register("contributor", PASSWORD)
        token = client.login("contributor", PASSWORD)
    return token, dataset.id


def upload_all(
    url: str,
    token: str,
    dataset_id: int,
    uploads: list[Upload],
    *,
    wait: bool,
    on_answer: threading.Event | None = None,
    answers_before_signal: int = 0,
) -> None:
    answered = 0
    lock = threading.Lock()

    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:

        def send(upload: Upload) -> None:
            nonlocal answered
            try:
                response = http.post(
                    f"/api/dataset/{dataset_id}/items",
                    params={"label": upload.label, "wait": str(wait).lower()},
                    content=upload.data,
                    headers={"Content-Type": "image/png"},
                )
            except httpx.TransportError:
                return  # the server died: not acknowledged
            upload.status = response.status_code
            with lock:
                answered += 1
                if on_answer is not None and answered >= answers_before_signal:
                    on_answer.set()

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(send, uploads))


def settle(server: ServerProcess, dataset_id: int, timeout: float = 60) -> dict[str, Any]:
    """Wait until the outbox owes nothing (relayer and indexer caught up); the audit report then."""
    deadline = time.monotonic() + timeout
    while True:
        report: dict[str, Any] = httpx.get(f"{server.url}/api/dataset/{dataset_id}/audit", timeout=30).json()
        counts = report["counts"]
        assert isinstance(counts, dict)
        drained = counts["outbox_pending"] == 0 and counts["outbox_sent"] == 0
        # A batch confirmed from its receipt after a restart gets its item rows from the indexer, which
        # may start a moment after the relayer: wait for it too rather than read its lag as a loss.
        lag = counts["chain_item_count"] - counts["db_items"]
        indexed = counts["chain_items_not_yet_indexed"] == 0 and lag == 0
        if drained and indexed:
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox never drained: {report}\n{server.log_tail()}")
        time.sleep(0.3)


def assert_no_temp_files(data_dir: Path, *, after: str) -> None:
    """The restarted server opened the blob store alone, so it swept every temp file the kill left."""
    left = sorted(p.name for p in (data_dir / "blobs" / "tmp").iterdir())
    assert left == [], f"after {after}, temp files left in blobs/tmp: {left}"


def verify(server: ServerProcess, dataset_id: int, uploads: list[Upload], *, after: str) -> dict[str, Any]:
    """The audit is clean and nothing acknowledged is lost; the audit report."""
    report = settle(server, dataset_id)
    assert report["ok"] is True, f"after {after}: {report['findings']}"
    assert report["outbox"] == [], f"after {after}: {report['outbox']}"

    sent = {u.content_hash: u for u in uploads}
    with Client(server.url) as client:
        items = {i.content_hash: i for i in client.items(dataset_id)}
        for content_hash, item in items.items():
            assert content_hash in sent, f"after {after}, an item nobody uploaded: {content_hash}"
            assert item.label == sent[content_hash].label
            image = client.image(dataset_id, content_hash)
            assert hashlib.sha256(image).hexdigest() == content_hash
    lost = [u.content_hash for u in uploads if u.status in ACKED and u.content_hash not in items]
    assert lost == [], f"after {after}, acknowledged uploads lost: {lost}"

    counts = report["counts"]
    assert isinstance(counts, dict)
    assert counts["chain_item_count"] == counts["db_items"] == counts["chain_items"] == len(items)
    assert counts["outbox_confirmed"] == len(items) and counts["outbox_failed"] == 0
    return report


def assert_nothing_resent(data_dir: Path) -> None:
    """Every outbox entry was anchored by one accepted transaction: none was refused as a duplicate."""
    with sqlite3.connect(data_dir / "sebrus.db") as db:
        rows = db.execute("SELECT content_hash, state, error FROM outbox").fetchall()
    assert rows, "the outbox is empty: the test uploaded nothing"
    refused = [(h[:12], state, error) for h, state, error in rows if error is not None]
    assert refused == [], f"entries sent again after the crash and refused: {refused}"


def retry_unacknowledged(server: ServerProcess, token: str, dataset_id: int, uploads: list[Upload]) -> None:
    """An upload the client never heard back about is retried; it must now succeed (or be found)."""
    missing = [u for u in uploads if u.status not in ACKED]
    upload_all(server.url, token, dataset_id, missing, wait=True)
    assert [(u.content_hash[:12], u.status) for u in missing if u.status not in (200, 201)] == []


def test_killed_at_every_point_along_the_upload_path_then_recovered(tmp_path: Path) -> None:
    """One data directory through four crashes; each restart must first finish what the last one left.

    Restarts dominate the cost (importing and opening the platform takes seconds), so each restart
    both recovers from one crash and arms the next. The faults are ordered so that recovery itself
    never reaches the next armed point: the relayer's catching up touches only after-chain-send,
    which is armed first, when there is nothing to catch up on.
    """
    data_dir = tmp_path / "data"
    uploads: list[Upload] = []
    seeds = iter(range(10_000))

    def batch(size: int) -> list[Upload]:
        fresh = [Upload(next(seeds)) for _ in range(size)]
        uploads.extend(fresh)
        return fresh

    server = ServerProcess(data_dir, fault="after-chain-send")
    try:
        server.wait_ready()
        token, dataset_id = prepare(server)
        for fault, next_fault in (
            ("after-chain-send", "after-outbox-commit@3"),  # mined, but the outbox never heard
            ("after-outbox-commit@3", "after-blob-put"),  # durable but unanswered
            ("after-blob-put", None),  # bytes stored, nothing promised
        ):
            upload_all(server.url, token, dataset_id, batch(12), wait=False)
            assert server.wait_dead() == -9, f"{fault} never fired:\n{server.log_tail()}"
            server = ServerProcess(data_dir, fault=next_fault)
            server.wait_ready()
            assert_no_temp_files(data_dir, after=fault)
            report = verify(server, dataset_id, uploads, after=fault)
        assert report["counts"]["orphan_blobs"] >= 1  # after-blob-put stored bytes nothing refers to

        # SIGKILL from outside while uploads wait for their anchoring.
        some_answered = threading.Event()
        victim = server

        def kill_once_some_answered() -> None:
            some_answered.wait(60)
            victim.kill()

        killer = threading.Thread(target=kill_once_some_answered)
        killer.start()
        in_flight = batch(40)
        upload_all(
            server.url,
            token,
            dataset_id,
            in_flight,
            wait=True,
            on_answer=some_answered,
            answers_before_signal=5,
        )
        killer.join()
        acked = sum(u.status in ACKED for u in in_flight)
        assert 5 <= acked < len(in_flight), f"the kill did not land mid-upload ({acked} acknowledged)"

        server = ServerProcess(data_dir)
        server.wait_ready()
        assert_no_temp_files(data_dir, after="kill -9 in flight")
        verify(server, dataset_id, uploads, after="kill -9 in flight")
        retry_unacknowledged(server, token, dataset_id, uploads)
        final = verify(server, dataset_id, uploads, after="retrying the unacknowledged uploads")
        assert final["counts"]["orphan_blobs"] == 0 and final["orphan_blobs"] == []  # all claimed now
        with Client(server.url) as client:
            assert {i.content_hash for i in client.items(dataset_id)} == {u.content_hash for u in uploads}
        server.stop()
    finally:
        server.kill()
    assert_nothing_resent(data_dir)

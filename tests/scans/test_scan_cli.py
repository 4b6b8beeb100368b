"""``sebrus scan`` against a live server over HTTP, with the SDK setting the stage: seed, start --wait,
status, list, flagged, report (hash-checked: a tampered report is refused), and the exit codes."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from sebrus.blobs import LocalBlobStore
from sebrus.sdk import Client
from tests.support.cli import sebrus
from tests.support.live_server import PASSWORD, LiveServer
from tests.support.poisoned_digits import make


def test_scan_commands_start_follow_and_fetch_a_checked_report(
    server: tuple[LiveServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, data_dir = server
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SEBRUS_URL", live.url)
    data = make(n_classes=2, per_class=25, seed_per_class=6, rate=0.1, seed=5)
    with Client(live.url) as owner, Client(live.url) as other:
        owner.register("scan-owner", PASSWORD)
        token = owner.login("scan-owner", PASSWORD)
        other.register("scan-other", PASSWORD)
        other_token = other.login("scan-other", PASSWORD)
        dataset = owner.create_dataset("cli-digits", "digits", data.labels)
        uploads = data.honest + data.malicious
        for upload in uploads:
            owner.upload(dataset.id, upload.png, upload.label, wait=False)
        deadline = time.monotonic() + 60
        while len(list(owner.items(dataset.id))) < len(uploads):
            assert time.monotonic() < deadline
            time.sleep(0.2)

    files = []
    for n, (label, png) in enumerate(data.seed):
        if label == data.labels[0]:
            files.append(tmp_path / f"seed{n}.png")
            files[-1].write_bytes(png)
    seeded = sebrus(
        "scan", "seed", str(dataset.id), *map(str, files), "-l", data.labels[0], "--token", token, "--json"
    )
    assert seeded.exit_code == 0, seeded.output
    assert json.loads(seeded.stdout)["total"] == len(files)
    assert sebrus("scan", "seed", str(dataset.id), "--token", token).exit_code == 2
    assert sebrus("scan", "seed", str(dataset.id), str(files[0]), "--token", token).exit_code == 2

    refused = sebrus("scan", "start", str(dataset.id), "--token", other_token)
    assert refused.exit_code == 1 and "owner" in refused.output

    started = sebrus("scan", "start", str(dataset.id), "--wait", "--json", "--token", token)
    assert started.exit_code == 0, started.output
    scan = json.loads(started.stdout)
    assert scan["state"] == "done" and scan["n_items"] == len(uploads) and scan["quarantine"]["pending"] == 0

    status = json.loads(sebrus("scan", "status", str(scan["id"]), "--json").stdout)
    assert status["id"] == scan["id"] and status["report_sha256"] == scan["report_sha256"]
    assert [s["id"] for s in json.loads(sebrus("scan", "list", str(dataset.id), "--json").stdout)] == [
        scan["id"]
    ]
    flagged = json.loads(sebrus("scan", "flagged", str(scan["id"]), "--json").stdout)
    assert len(flagged) == scan["n_flagged"] and all(f["reasons"] for f in flagged)
    human = sebrus("scan", "status", str(scan["id"]))
    assert human.exit_code == 0 and "done" in human.stdout and scan["report_sha256"] in human.stdout

    report = tmp_path / "report.json"
    assert sebrus("scan", "report", str(scan["id"]), "-o", str(report)).exit_code == 0
    assert hashlib.sha256(report.read_bytes()).hexdigest() == scan["report_sha256"]
    assert len(json.loads(report.read_text())["items"]) == len(uploads)
    page = tmp_path / "report.html"
    assert sebrus("scan", "report", str(scan["id"]), "--html", "-o", str(page)).exit_code == 0
    assert page.read_text().lstrip().lower().startswith("<!doctype html")

    # A report changed on the server no longer matches the hash recorded (and put on chain): refused.
    blobs = LocalBlobStore(data_dir / "blobs")
    stored = blobs.path_for(scan["report_sha256"])
    stored.chmod(0o644)
    stored.write_bytes(report.read_bytes().replace(b'"suspicion":', b'"suspicion": ', 1))
    tampered = sebrus("scan", "report", str(scan["id"]))
    assert tampered.exit_code == 1 and "hashes to" in tampered.output

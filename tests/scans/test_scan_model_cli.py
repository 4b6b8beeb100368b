"""``sebrus scan model`` against a live server over HTTP: show, set (owner only, checked, never a
pickle), --remove, --json, and the exit codes (0 worked, 1 refused, 2 bad command line)."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest

from sebrus.blobs import LocalBlobStore
from sebrus.sdk import Client
from tests.support.cli import sebrus
from tests.support.live_server import PASSWORD, LiveServer
from tests.support.models import net, safetensors_bytes, torchscript_bytes


def test_scan_model_shows_sets_and_removes_the_owners_model(
    server: tuple[LiveServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, data_dir = server
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SEBRUS_URL", live.url)
    with Client(live.url) as owner, Client(live.url) as other:
        owner.register("model-owner", PASSWORD)
        token = owner.login("model-owner", PASSWORD)
        other.register("model-other", PASSWORD)
        other_token = other.login("model-other", PASSWORD)
        dataset = str(owner.create_dataset("cli-model", "digits", ["zero", "one", "two"]).id)
    blobs = LocalBlobStore(data_dir / "blobs")

    shown = sebrus("scan", "model", dataset)
    assert shown.exit_code == 0 and "reference CNN" in shown.stdout

    scripted = tmp_path / "mine.pt"
    scripted.write_bytes(torchscript_bytes(net()))
    sha = hashlib.sha256(scripted.read_bytes()).hexdigest()
    evil = tmp_path / "evil.bin"
    evil.write_bytes(pickle.dumps({"w": [1, 2]}))
    refused = sebrus("scan", "model", dataset, str(evil), "--token", token)
    assert refused.exit_code == 1 and "pickle" in refused.output
    assert not blobs.exists(hashlib.sha256(evil.read_bytes()).hexdigest())
    wrong = tmp_path / "wrong.safetensors"
    wrong.write_bytes(safetensors_bytes(net(n_classes=5)))
    refused = sebrus("scan", "model", dataset, str(wrong), "--token", token)
    assert refused.exit_code == 1 and "5 output classes" in refused.output
    refused = sebrus("scan", "model", dataset, str(scripted), "--token", other_token)
    assert refused.exit_code == 1 and "owner" in refused.output and not blobs.exists(sha)
    assert sebrus("scan", "model", dataset, str(scripted), "--remove", "--token", token).exit_code == 2
    assert sebrus("scan", "model", dataset, str(tmp_path / "missing.pt"), "--token", token).exit_code == 2

    taken = sebrus("scan", "model", dataset, str(scripted), "--json", "--token", token)
    assert taken.exit_code == 0, taken.output
    body = json.loads(taken.stdout)
    assert (body["source"], body["sha256"], body["format"], body["name"]) == (
        "uploaded",
        sha,
        "torchscript",
        "mine.pt",
    )
    assert blobs.get(sha) == scripted.read_bytes()
    human = sebrus("scan", "model", dataset)
    assert human.exit_code == 0 and sha in human.stdout and "torchscript" in human.stdout

    assert sebrus("scan", "model", dataset, "--remove", "--token", other_token).exit_code == 1
    removed = sebrus("scan", "model", dataset, "--remove", "--json", "--token", token)
    assert removed.exit_code == 0 and json.loads(removed.stdout)["source"] == "reference"
    assert json.loads(sebrus("scan", "model", dataset, "--json").stdout)["sha256"] is None

"""Done-when of the platform issue: a newcomer registers, creates a dataset, uploads a folder of images
and sees them anchored and indexed, from the CLI alone."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

from sebrus.cli.credentials import credentials_path
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import LiveServer

PASSWORD = "a long enough passphrase"


def image_folder(root: Path) -> dict[str, str]:
    """cat/: three PNGs and a text file; dog/: two PNGs and a hidden file. Returns sha256 -> label."""
    expected = {}
    for label, seeds in (("cat", (1, 2, 3)), ("dog", (4, 5))):
        (root / label).mkdir(parents=True)
        for seed in seeds:
            data = png(1000 + seed)
            (root / label / f"{seed}.png").write_bytes(data)
            expected[hashlib.sha256(data).hexdigest()] = label
    (root / "cat" / "notes.txt").write_text("these are my cats\n")
    (root / "dog" / ".DS_Store").write_bytes(b"\0\0")
    return expected


def test_newcomer_journey_from_the_cli_alone(sebrus: Invoke, server: LiveServer, tmp_path: Path) -> None:
    registered = sebrus("user", "register", "newcomer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert registered.exit_code == 0, registered.output
    assert "Created user newcomer" in registered.stdout
    assert PASSWORD not in registered.stdout

    logged_in = sebrus("user", "login", "newcomer", "--save", input=f"{PASSWORD}\n")
    assert logged_in.exit_code == 0, logged_in.output
    saved = credentials_path()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    entry = json.loads(saved.read_text())["servers"][server.url]
    assert entry["username"] == "newcomer" and entry["token"]
    assert entry["token"] not in logged_in.stdout

    whoami = sebrus("user", "whoami")
    assert whoami.exit_code == 0 and "newcomer" in whoami.stdout

    created = sebrus("dataset", "create", "pets", "--label", "cat", "--label", "dog", "--json")
    assert created.exit_code == 0, created.output
    dataset_id = str(json.loads(created.stdout)["id"])

    folder = tmp_path / "pets"
    expected = image_folder(folder)
    uploaded = sebrus("upload", str(folder), "--dataset", dataset_id, "--jobs", "3")
    assert uploaded.exit_code == 1, uploaded.output
    assert "notes.txt" in uploaded.stderr and "1 of 6 file(s) not uploaded" in uploaded.stderr
    assert "not an image" in uploaded.stdout  # the server's own reason, next to the file
    assert "5 anchored" in uploaded.stdout and "1 refused" in uploaded.stdout
    assert ".DS_Store" not in uploaded.output

    listed = sebrus("items", "list", "--dataset", dataset_id, "--json")
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert {i["content_hash"]: i["label"] for i in items} == expected
    assert all(i["status"] == "pending" and i["block_number"] is not None for i in items)
    assert all(i["tx_hash"] for i in items)

    table = sebrus("items", "list", "--dataset", dataset_id, "--label", "dog")
    assert table.exit_code == 0 and "2 item(s)" in table.stdout

    again = sebrus("upload", str(folder / "cat"), "--dataset", dataset_id, "--label", "cat")
    assert again.exit_code == 1  # notes.txt is still not an image
    assert "3 already there" in again.stdout and "0 anchored" in again.stdout

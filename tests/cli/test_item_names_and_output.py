"""Items named by any unique start of their sha256, output that pipes whole, and the exits that scripts
read: an ambiguous prefix is a usage error naming the candidates, a scan that could not run is exit 1."""

from __future__ import annotations

import hashlib
import itertools
import json

from sebrus.sdk import Client
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import LiveServer

PASSWORD = "another long passphrase"
_names = itertools.count()


def _account(server: LiveServer, role: str) -> tuple[str, str]:
    name = f"{role}-{next(_names)}"
    with Client(server.url) as client:
        client.register(name, PASSWORD)
        return name, client.login(name, PASSWORD)


def _two_seeds_sharing_a_first_digit() -> tuple[int, int]:
    """Two test images whose sha256 start alike (found, not assumed: 17 hashes must repeat a digit)."""
    seen: dict[str, int] = {}
    for seed in range(100, 117):
        first = hashlib.sha256(png(seed)).hexdigest()[0]
        if first in seen:
            return seen[first], seed
        seen[first] = seed
    raise AssertionError("unreachable: 17 hashes over 16 hex digits")


def test_any_unique_prefix_names_an_item_and_an_ambiguous_one_names_the_candidates(
    sebrus: Invoke, server: LiveServer
) -> None:
    owner_name, owner = _account(server, "owner")
    _, contributor = _account(server, "contrib")
    _, reviewer = _account(server, "reviewer")
    with Client(server.url, token=owner) as client:
        dataset = client.create_dataset("prefixes", "prefix names", ["cat", "dog"])
    ds = str(dataset.id)
    first_seed, second_seed = _two_seeds_sharing_a_first_digit()
    with Client(server.url, token=contributor) as client:
        a = client.upload(dataset.id, png(first_seed), "cat").content_hash
        b = client.upload(dataset.id, png(second_seed), "dog").content_hash
    shared = a[0]
    assert b.startswith(shared)
    unknown = next(
        p for p in (f"{i:04x}" for i in range(65536)) if not a.startswith(p) and not b.startswith(p)
    )

    with Client(server.url) as client:
        assert client.resolve_item(dataset.id, a[:13].upper()) == a
        assert client.resolve_item(dataset.id, "0x" + b) == b  # a full hash needs no lookup

    ambiguous = sebrus("review", "vote", ds, shared, "--approve", "--token", reviewer)
    assert ambiguous.exit_code == 2, ambiguous.output
    said = " ".join(ambiguous.stderr.split())
    assert f"2 items in dataset {ds} have a sha256 starting with {shared}" in said
    assert a in said and b in said and "Type more of the hash" in said
    missing = sebrus("review", "vote", ds, unknown, "--approve", "--token", reviewer)
    assert missing.exit_code == 1 and f"No item in dataset {ds} has a sha256 starting with {unknown}" in (
        " ".join(missing.stderr.split())
    )
    not_hex = sebrus("review", "history", ds, "zz-top")
    assert not_hex.exit_code == 2 and "not an item's sha256" in not_hex.stderr

    voted = sebrus("review", "vote", ds, a[:13], "--approve", "--token", reviewer, "--json")
    assert voted.exit_code == 0, voted.output
    assert json.loads(voted.stdout)["item"]["content_hash"] == a
    history = json.loads(sebrus("review", "history", ds, a[:8].upper(), "--json").stdout)
    assert history["item"]["content_hash"] == a and [v["side"] for v in history["votes"]] == ["approve"]
    traced = sebrus("trace", ds, b[:10], "--token", owner, "--json")
    assert traced.exit_code == 0, traced.output
    assert json.loads(traced.stdout)["sha256"] == b

    # Piped output is never wrapped at 80 columns: the queue shows whole hashes, sentences stay whole.
    queue = sebrus("review", "queue", ds, "--token", reviewer)
    assert queue.exit_code == 0, queue.output
    assert b in queue.stdout
    assert any(
        line.startswith("Vote with `sebrus review vote") and line.endswith("starts with them.")
        for line in queue.stdout.splitlines()
    )
    listed = sebrus("dataset", "list")
    [row] = [line for line in listed.stdout.splitlines() if f" {dataset.address} " in line]
    assert owner_name in row  # a name, not a user id


def test_a_scan_that_could_not_run_exits_1_with_the_reason(sebrus: Invoke, server: LiveServer) -> None:
    _, owner = _account(server, "owner")
    with Client(server.url, token=owner) as client:
        dataset = client.create_dataset("too-small", "nothing to scan", ["cat", "dog"])
    started = sebrus("scan", "start", str(dataset.id), "--wait", "--token", owner)
    assert started.exit_code == 1, started.output
    said = " ".join(started.stderr.split())
    assert "could not run" in said and "Not enough data" in said
    scan_id = json.loads(sebrus("scan", "list", str(dataset.id), "--json").stdout)[0]["id"]
    shown = sebrus("scan", "status", str(scan_id), "--json")
    assert shown.exit_code == 1 and json.loads(shown.stdout)["insufficient_data"]

"""`sebrus review ...` and `sebrus dataset policy|allow|fund|pool` against a live server, through the SDK."""

from __future__ import annotations

import itertools
import json
import re

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


def test_owner_and_reviewer_commands(sebrus: Invoke, server: LiveServer) -> None:
    _, owner = _account(server, "owner")
    _, contributor = _account(server, "contrib")
    reviewer_name, reviewer = _account(server, "reviewer")
    _, outsider = _account(server, "outsider")
    with Client(server.url, token=owner) as client:
        policy = {"x": 1, "voters": "allow-list", "reward_wei": 1000}
        dataset = client.create_dataset("cli-review", "review by CLI", ["cat", "dog"], review_policy=policy)
    ds = str(dataset.id)
    with Client(server.url, token=contributor) as client:
        sha = client.upload(dataset.id, png(7), "cat").content_hash

    shown = json.loads(sebrus("dataset", "policy", ds, "--json").stdout)
    assert (shown["policy"]["x"], shown["policy"]["voters"], shown["policy"]["reward_wei"]) == (
        1,
        "allow-list",
        "1000",
    )
    unlisted = sebrus("review", "vote", ds, sha, "--approve", "--token", reviewer)
    assert unlisted.exit_code == 1 and "allow-listed" in unlisted.output
    allowed = sebrus("dataset", "allow", ds, reviewer_name, "--token", owner, "--json")
    assert allowed.exit_code == 0, allowed.output
    assert [v["address"] for v in json.loads(allowed.stdout)["voters"]] == [
        json.loads(allowed.stdout)["address"]
    ]
    assert sebrus("dataset", "allow", ds, reviewer_name, "--token", outsider).exit_code == 1
    # Amounts are ETH unless wei is named; a refusal says ETH too.
    too_much = sebrus("dataset", "fund", ds, "5000", "--token", owner)
    assert too_much.exit_code == 1 and "needs 5000 ETH plus gas" in " ".join(too_much.stderr.split())
    fractional = sebrus("dataset", "fund", ds, "1.5 wei", "--token", owner)
    assert fractional.exit_code == 2 and "not a whole number of wei" in fractional.stderr
    rounded = sebrus("dataset", "fund", ds, "1.0000000000000000000000000001", "--token", owner)
    assert rounded.exit_code == 2 and "more than 18 decimal places" in rounded.stderr
    funded = sebrus("dataset", "fund", ds, "5000 wei", "--token", owner, "--json")
    assert json.loads(funded.stdout)["books"]["pool_wei"] == "5000"
    assert "Pool (withdrawable)   0.000000000000005 ETH" in sebrus("dataset", "pool", ds).stdout

    queue = json.loads(sebrus("review", "queue", ds, "--token", reviewer, "--json").stdout)
    assert [e["item"]["content_hash"] for e in queue] == [sha]
    assert sebrus("review", "vote", ds, sha, "--token", reviewer).exit_code == 2  # no side given
    voted = sebrus("review", "vote", ds, sha, "--reject", "--token", reviewer)
    assert voted.exit_code == 0 and "rejected" in voted.output
    history = json.loads(sebrus("review", "history", ds, sha, "--json").stdout)
    assert history["complete"] and [v["side"] for v in history["votes"]] == ["reject"]
    claimed = json.loads(sebrus("review", "claim", "--token", reviewer, "--json").stdout)
    assert [(c["content_hash"], c["amount_wei"]) for c in claimed] == [(sha, str(10**15 + 1000))]
    assert json.loads(sebrus("review", "claim", "--token", reviewer, "--json").stdout) == []
    rows = json.loads(sebrus("review", "reviewers", ds, "--json").stdout)
    assert [(r["username"], r["votes"], r["coherent"]) for r in rows] == [(reviewer_name, 1, 1)]
    pool = json.loads(sebrus("dataset", "pool", ds, "--json").stdout)
    assert (pool["funded_wei"], pool["paid_out_wei"], pool["books"]["pool_wei"]) == (
        "5000",
        str(10**15 + 1000),
        "4000",
    )
    first = sebrus("dataset", "policy", ds)
    assert "Review policy version 0, for every item from the start:" in first.stdout
    changed = sebrus("dataset", "policy", ds, "--set", '{"x": 3, "stake": "0.002 ETH"}', "--token", owner)
    assert changed.exit_code == 0, changed.output
    assert re.search(r"version 1, for items submitted from 20\d\d-\d\d-\d\d \d\d:\d\d UTC:", changed.stdout)
    assert "stake / reward / deposit  0.002 ETH / 0 ETH / 0 ETH" in changed.stdout
    in_wei = sebrus("dataset", "policy", ds, "--set", '{"reward": "1000 wei"}', "--token", owner, "--json")
    assert json.loads(in_wei.stdout)["policy"]["reward_wei"] == "1000"
    both = sebrus("dataset", "policy", ds, "--set", '{"stake": "1", "stake_wei": 1}', "--token", owner)
    assert both.exit_code == 2 and "stake or stake_wei" in both.stderr
    assert sebrus("dataset", "policy", ds, "--set", "[1]", "--token", owner).exit_code == 2
    x_zero = sebrus("dataset", "policy", ds, "--set", '{"x": 0, "finalize_delay": 900}', "--token", owner)
    assert x_zero.exit_code == 0 and "approved no sooner than   900 s after anchoring" in x_zero.output


def test_contributor_pays_and_takes_back_a_review_deposit(sebrus: Invoke, server: LiveServer) -> None:
    _, owner = _account(server, "owner")
    _, contributor = _account(server, "contrib")
    _, reviewer = _account(server, "reviewer")
    with Client(server.url, token=owner) as client:
        policy = {"x": 1, "deposit_wei": 2 * 10**15}
        dataset = client.create_dataset("cli-deposit", "deposit by CLI", ["cat", "dog"], review_policy=policy)
    ds = str(dataset.id)
    with Client(server.url, token=contributor) as client:
        sha = client.upload(dataset.id, png(8), "cat").content_hash

    blocked = sebrus("review", "vote", ds, sha, "--approve", "--token", reviewer)
    assert blocked.exit_code == 1 and "has not paid" in blocked.output
    paid = sebrus("review", "deposit", ds, sha, "--token", contributor)
    assert paid.exit_code == 0 and "Deposited 0.002 ETH" in paid.output
    again = sebrus("review", "deposit", ds, sha, "--token", contributor)
    assert again.exit_code == 1 and "already paid" in again.output
    assert sebrus("review", "vote", ds, sha, "--approve", "--token", reviewer).exit_code == 0
    back = json.loads(
        sebrus("review", "deposit", ds, sha, "--claim", "--token", contributor, "--json").stdout
    )
    assert back["amount_wei"] == str(2 * 10**15) and back["item"]["status"] == "approved"


def test_contributor_pays_every_due_deposit_at_once(sebrus: Invoke, server: LiveServer) -> None:
    _, owner = _account(server, "owner")
    _, contributor = _account(server, "contrib")
    with Client(server.url, token=owner) as client:
        policy = {"x": 1, "deposit_wei": 10**15}
        dataset = client.create_dataset(
            "cli-deposit-all", "deposits at once", ["cat", "dog"], review_policy=policy
        )
    ds = str(dataset.id)
    with Client(server.url, token=contributor) as client:
        hashes = {client.upload(dataset.id, png(20 + n), "cat").content_hash for n in range(3)}

    both = sebrus("review", "deposit", ds, next(iter(hashes)), "--all", "--token", contributor)
    assert both.exit_code == 2 and "--all" in both.output
    paid = sebrus("review", "deposit", ds, "--all", "--token", contributor, "--json")
    assert paid.exit_code == 0, paid.output
    answer = json.loads(paid.stdout)
    assert {p["item"]["content_hash"] for p in answer["paid"]} == hashes
    assert answer["total_wei"] == str(3 * 10**15)
    again = sebrus("review", "deposit", ds, "--all", "--token", contributor)
    assert again.exit_code == 0 and "No deposit is due" in again.output

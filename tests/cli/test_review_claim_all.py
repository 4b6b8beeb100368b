"""``sebrus review claim --all --dataset N`` against a live server: two winning ballots claimed in one
transaction into the bond (exit 0); nothing left is exit 1 with the sentence; a mixed-up command line
is exit 2 with nothing sent."""

from __future__ import annotations

import json

from sebrus.sdk import Client
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import LiveServer

PASSWORD = "another long passphrase"
STAKE = 10**15


def _token(server: LiveServer, name: str) -> str:
    with Client(server.url) as client:
        client.register(name, PASSWORD)
        return client.login(name, PASSWORD)


def test_claim_all_in_one_transaction(sebrus: Invoke, server: LiveServer) -> None:
    owner, contributor = _token(server, "cli-ca-owner"), _token(server, "cli-ca-contrib")
    reviewer = _token(server, "cli-ca-rev")
    others = [_token(server, f"cli-ca-other{n}") for n in range(2)]
    with Client(server.url, token=owner) as client:
        policy = {"x": 3, "stake_wei": STAKE, "reward_wei": 10**14}
        dataset = client.create_dataset("cli-claims", "claims", ["cat", "dog"], review_policy=policy).id
        client.fund_pool(dataset, 10**15)
    with Client(server.url, token=contributor) as client:
        items = [client.upload(dataset, png(60 + n), "cat").content_hash for n in range(2)]
    for item in items:
        for token in (reviewer, *others):
            with Client(server.url, token=token) as client:
                client.vote(dataset, item, True)

    usage = sebrus("review", "claim", "--dataset", str(dataset), "--token", reviewer)
    assert usage.exit_code == 2 and "--all" in usage.output
    done = sebrus("review", "claim", "--all", "--dataset", str(dataset), "--token", reviewer, "--json")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert (answer["claimed"], answer["transactions"], answer["into_bond"]) == (2, 1, True)
    again = sebrus("review", "claim", "--all", "--dataset", str(dataset), "--token", reviewer)
    assert again.exit_code == 1 and "Nothing to claim" in again.output

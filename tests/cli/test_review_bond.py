"""``sebrus review bond show|deposit|withdraw`` against a live server: ETH typed as people type it,
the bond's sentence printed, a bad amount a usage error (exit 2) with nothing sent."""

from __future__ import annotations

from sebrus.sdk import Client
from tests.support.cli import Invoke
from tests.support.live_server import LiveServer

PASSWORD = "another long passphrase"


def _token(server: LiveServer, name: str) -> str:
    with Client(server.url) as client:
        client.register(name, PASSWORD)
        return client.login(name, PASSWORD)


def test_deposit_show_and_withdraw_the_bond(sebrus: Invoke, server: LiveServer) -> None:
    owner, reviewer = _token(server, "cli-bond-owner"), _token(server, "cli-bond-rev")
    with Client(server.url, token=owner) as client:
        dataset = client.create_dataset(
            "cli-bond", "bonds", ["cat", "dog"], review_policy={"x": 3, "stake_wei": 10**15}
        ).id
    added = sebrus("review", "bond", "deposit", str(dataset), "0.002", "--token", reviewer)
    assert added.exit_code == 0, added.output
    assert (
        "Your review bond holds 0.002 ETH you can withdraw." in added.stdout
        and "transaction 0x" in added.stdout
    )
    bad = sebrus("review", "bond", "deposit", str(dataset), "lots", "--token", reviewer)
    assert bad.exit_code == 2 and "AMOUNT:" in bad.output
    part = sebrus("review", "bond", "withdraw", str(dataset), "0.0005 ETH", "--token", reviewer)
    assert part.exit_code == 0 and "holds 0.0015 ETH" in part.stdout, part.output
    too_much = sebrus("review", "bond", "withdraw", str(dataset), "1", "--token", reviewer)
    assert too_much.exit_code == 1 and "0.0015 ETH available to withdraw" in too_much.output
    rest = sebrus("review", "bond", "withdraw", str(dataset), "--token", reviewer)
    assert rest.exit_code == 0, rest.output
    shown = sebrus("review", "bond", "show", str(dataset), "--token", reviewer)
    assert shown.exit_code == 0 and "holds 0 ETH" in shown.stdout, shown.output

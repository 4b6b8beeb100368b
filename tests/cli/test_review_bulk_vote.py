"""`sebrus review vote --all-approve | --all-reject | --from-file` against a live server: one request for
many votes, each entry's outcome and the settlement time printed, exit 0 / 1 / 2."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from sebrus.sdk import Client
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import LiveServer

PASSWORD = "another long passphrase"
STAKE = 10**15
_names = itertools.count()


def _token(server: LiveServer, role: str) -> str:
    name = f"bulk-{role}-{next(_names)}"
    with Client(server.url) as client:
        client.register(name, PASSWORD)
        return client.login(name, PASSWORD)


def _dataset_with_items(server: LiveServer, count: int, seed: int) -> tuple[int, list[str]]:
    owner, contributor = _token(server, "owner"), _token(server, "contrib")
    with Client(server.url, token=owner) as client:
        dataset = client.create_dataset(
            f"cli-bulk-{seed}", "bulk votes", ["cat", "dog"], review_policy={"x": 3, "stake_wei": STAKE}
        )
    with Client(server.url, token=contributor) as client:
        items = [client.upload(dataset.id, png(seed + n), "cat").content_hash for n in range(count)]
    return dataset.id, items


def test_all_approve_votes_on_the_queue_page_and_says_how_long_it_took(
    sebrus: Invoke, server: LiveServer
) -> None:
    dataset, items = _dataset_with_items(server, 10, 7100)
    reviewer = _token(server, "rev")
    started = time.perf_counter()
    done = sebrus("review", "vote", "--dataset", str(dataset), "--all-approve", "--token", reviewer)
    per_vote = (time.perf_counter() - started) / len(items)
    assert done.exit_code == 0, done.output
    # The bound, for the whole command (queue read, checks, settlement) on the embedded chain:
    # 0.2 to 0.25 s a vote for a page of 10, measured on a shared, busy 2-core machine.
    assert per_vote < 0.5, f"{per_vote:.2f} s a vote"
    for item in items:
        assert f"settled  {item[:13]}  approve" in done.stdout
    assert "10 votes settled in " in done.stdout and "s a vote, the request included" in done.stdout
    with Client(server.url, token=reviewer) as client:
        assert client.review_queue(dataset) == []  # voted on: off the queue
    nothing = sebrus("review", "vote", "-d", str(dataset), "--all-reject", "--token", reviewer)
    assert nothing.exit_code == 0 and "Nothing on your queue page can be voted on now." in nothing.stderr


def test_from_file_prints_each_outcome_and_exits_1_when_some_are_refused(
    sebrus: Invoke, server: LiveServer, tmp_path: Path
) -> None:
    dataset, (first, second, third) = _dataset_with_items(server, 3, 7200)
    reviewer = _token(server, "rev")
    with Client(server.url, token=reviewer) as client:
        client.vote(dataset, first, True)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(f"sha256,decision\n# looked at on Monday\n{first},approve\n{second[:13]},reject\n")
    mixed = sebrus("review", "vote", str(dataset), "--from-file", str(decisions), "--token", reviewer)
    assert mixed.exit_code == 1, mixed.output
    assert f"refused  {first[:13]}  approve  Item {first[:13]}: You have already voted" in mixed.stdout
    assert f"settled  {second[:13]}  reject" in mixed.stdout
    assert "1 vote settled in " in mixed.stdout and "1 refused" in mixed.stdout

    lines = tmp_path / "decisions.jsonl"
    lines.write_text(json.dumps({"sha256": third, "decision": "approve"}) + "\n")
    answer = sebrus(
        "review", "vote", "-d", str(dataset), "--from-file", str(lines), "--json", "--token", reviewer
    )
    assert answer.exit_code == 0, answer.output
    body = json.loads(answer.stdout)
    assert body["settled"] == 1 and body["outcomes"][0]["content_hash"] == third
    assert body["settlement_seconds"] > 0


def test_a_bad_file_or_command_line_is_a_usage_error_and_sends_nothing(
    sebrus: Invoke, server: LiveServer, tmp_path: Path
) -> None:
    dataset, (item,) = _dataset_with_items(server, 1, 7300)
    reviewer = _token(server, "rev")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{item},approve\n{item[:10]},maybe\n")
    refused = sebrus("review", "vote", "-d", str(dataset), "--from-file", str(bad), "--token", reviewer)
    assert refused.exit_code == 2
    assert "bad.csv line 2: the decision must be approve or reject, not 'maybe'." in " ".join(
        refused.stderr.split()
    )
    missing = sebrus("review", "vote", "-d", str(dataset), "--from-file", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "Cannot read" in missing.stderr
    both = sebrus("review", "vote", "-d", str(dataset), "--all-approve", "--all-reject", "--token", reviewer)
    assert both.exit_code == 2 and "Choose one of" in both.stderr
    no_dataset = sebrus("review", "vote", "--all-approve", "--token", reviewer)
    assert no_dataset.exit_code == 2 and "Name the dataset" in no_dataset.stderr
    twice = tmp_path / "twice.csv"
    twice.write_text(f"{item},approve\n{item[:12]},reject\n")
    whole = sebrus("review", "vote", "-d", str(dataset), "--from-file", str(twice), "--token", reviewer)
    assert whole.exit_code == 1 and "Entry 2 names item" in " ".join(whole.stderr.split())
    with Client(server.url, token=reviewer) as client:
        assert [e.item.content_hash for e in client.review_queue(dataset)] == [item]  # nothing was cast


def test_all_reject_skips_what_cannot_be_voted_on_and_keeps_json_clean(
    sebrus: Invoke, server: LiveServer
) -> None:
    owner, contributor = _token(server, "owner"), _token(server, "contrib")
    with Client(server.url, token=owner) as client:
        policy = {"x": 3, "stake_wei": STAKE, "deposit_wei": STAKE}
        dataset = client.create_dataset("cli-bulk-skip", "bulk votes", ["cat", "dog"], review_policy=policy)
    with Client(server.url, token=contributor) as client:
        paid, unpaid = (client.upload(dataset.id, png(7400 + n), "cat").content_hash for n in range(2))
        client.pay_deposit(dataset.id, paid)
    reviewer = _token(server, "rev")
    done = sebrus("review", "vote", "-d", str(dataset.id), "--all-reject", "--json", "--token", reviewer)
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert [(o["content_hash"], o["decision"], o["outcome"]) for o in body["outcomes"]] == [
        (paid, "reject", "settled")
    ]
    assert f"skipped  {unpaid[:13]}  Waiting for its contributor's review deposit" in done.stderr

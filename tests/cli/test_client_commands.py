"""The client commands' contracts: --json parses, exit codes (0 ok, 1 refused/unreachable, 2 usage),
tokens from --token, SEBRUS_TOKEN or the saved file (per URL), and the server's messages passed on."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from sebrus.cli.credentials import credentials_path
from sebrus.services.errors import RateLimited
from tests.support.cli import Invoke
from tests.support.images import png
from tests.support.live_server import LiveServer, closed_port_url

PASSWORD = "another long passphrase"
_names = itertools.count()


def register_and_login(sebrus: Invoke) -> tuple[str, str]:
    """A fresh account; returns (username, token) with the token NOT saved."""
    name = f"cli-user-{next(_names)}"
    assert sebrus("user", "register", name, "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    logged_in = sebrus("user", "login", name, "--password-stdin", input=PASSWORD + "\n")
    assert logged_in.exit_code == 0, logged_in.output
    return name, logged_in.stdout.strip()


def test_login_prints_a_token_that_token_and_env_accept(
    sebrus: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, token = register_and_login(sebrus)
    assert len(token.splitlines()) == 1 and " " not in token  # bare, for $(...)
    assert not credentials_path().exists()
    assert name in sebrus("user", "whoami", "--token", token).stdout
    monkeypatch.setenv("SEBRUS_TOKEN", token)
    assert name in sebrus("user", "whoami").stdout


def test_every_json_output_parses(sebrus: Invoke, tmp_path: Path) -> None:
    name = f"json-{next(_names)}"
    registered = sebrus("user", "register", name, "--password-stdin", "--json", input=PASSWORD + "\n")
    assert json.loads(registered.stdout)["user"]["username"] == name
    login = json.loads(
        sebrus("user", "login", name, "--password-stdin", "--json", input=PASSWORD + "\n").stdout
    )
    token = login["token"]
    saved = sebrus("user", "login", name, "--save", "--password-stdin", "--json", input=PASSWORD + "\n")
    assert json.loads(saved.stdout)["saved_to"] == str(credentials_path())
    assert json.loads(sebrus("user", "whoami", "--json").stdout)["user"]["username"] == name

    created = json.loads(
        sebrus(
            "dataset", "create", "j", "-l", "a", "--description", "d", "--max-width", "32", "--json"
        ).stdout
    )
    assert (created["labels"], created["description"], created["max_width"]) == (["a"], "d", 32)
    shown = json.loads(sebrus("dataset", "show", str(created["id"]), "--json").stdout)
    assert shown == created
    listed = json.loads(sebrus("dataset", "list", "--json").stdout)
    assert created["id"] in [d["id"] for d in listed]

    image = tmp_path / "one.png"
    image.write_bytes(png(42))
    uploaded = sebrus("upload", str(image), "-d", str(created["id"]), "-l", "a", "--token", token, "--json")
    assert uploaded.exit_code == 0, uploaded.output
    report = json.loads(uploaded.stdout)
    assert report["counts"]["anchored"] == 1 and report["files"][0]["outcome"] == "anchored"
    items = json.loads(sebrus("items", "list", "-d", str(created["id"]), "--json").stdout)
    assert [i["content_hash"] for i in items] == [report["files"][0]["content_hash"]]

    out = json.loads(sebrus("user", "logout", "--json").stdout)
    assert out == {"url": out["url"], "logged_out": True, "forgot_saved_token": True}


def test_upload_json_reports_refusals_and_still_exits_1(sebrus: Invoke, tmp_path: Path) -> None:
    _, token = register_and_login(sebrus)
    dataset = json.loads(
        sebrus("dataset", "create", "r", "-l", "a", "--max-bytes", "300", "--token", token, "--json").stdout
    )
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "big.png").write_bytes(png(1, (64, 64)) + b"\0" * 400)
    (folder / "fine.png").write_bytes(png(2))
    result = sebrus("upload", str(tmp_path), "-d", str(dataset["id"]), "--token", token, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_file = {f["file"]: f for f in report["files"]}
    assert by_file["a/fine.png"]["outcome"] == "anchored"
    assert by_file["a/big.png"]["outcome"] == "refused" and "limit" in by_file["a/big.png"]["reason"]
    assert report["counts"] == {"anchored": 1, "already there": 0, "queued": 0, "refused": 1, "failed": 0}


def test_unreachable_server_is_a_clear_exit_1(sebrus: Invoke) -> None:
    url = closed_port_url()
    for args in (("dataset", "list"), ("user", "whoami", "--token", "t"), ("items", "list", "-d", "1")):
        result = sebrus(*args, "--url", url)
        assert result.exit_code == 1, result.output
        message = " ".join(result.stderr.split())
        assert f"Cannot reach the SeBRUS server at {url}" in message and "sebrus serve" in message


def test_usage_errors_exit_2(sebrus: Invoke, tmp_path: Path) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(png(3))
    no_label = sebrus("upload", str(image), "--dataset", "1", "--token", "t")
    assert no_label.exit_code == 2 and "--label" in no_label.stderr
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "y.png").write_bytes(png(4))
    no_folders = sebrus("upload", str(flat), "--dataset", "1", "--token", "t")
    assert no_folders.exit_code == 2 and "no label folders" in " ".join(no_folders.stderr.split())
    assert sebrus("upload", str(tmp_path / "missing"), "--dataset", "1").exit_code == 2
    assert sebrus("dataset", "create", "no-labels").exit_code == 2
    not_logged_in = sebrus("user", "whoami")
    assert not_logged_in.exit_code == 2 and "Not logged in" in not_logged_in.stderr
    bad_url = sebrus("dataset", "list", "--url", "localhost:8000")
    assert bad_url.exit_code == 2 and "http://" in bad_url.stderr
    empty = sebrus("user", "login", "someone", "--password-stdin", input="\n")
    assert empty.exit_code == 2 and "no password" in empty.stderr


def test_server_refusals_exit_1_with_the_servers_message(sebrus: Invoke, tmp_path: Path) -> None:
    name, token = register_and_login(sebrus)
    missing = sebrus("dataset", "show", "987654")
    assert missing.exit_code == 1 and "Dataset not found." in missing.stderr
    taken = sebrus("user", "register", name, "--password-stdin", input=PASSWORD + "\n")
    assert taken.exit_code == 1 and "User already exists." in taken.stderr
    wrong = sebrus("user", "login", name, "--password-stdin", input="wrong password\n")
    assert wrong.exit_code == 1 and "sebrus user login" not in wrong.stderr
    stale = sebrus("user", "whoami", "--token", "not-a-token")
    assert stale.exit_code == 1 and "invalid or expired" in stale.stderr
    dataset = json.loads(sebrus("dataset", "create", "s", "-l", "cat", "--token", token, "--json").stdout)
    bad_status = sebrus("items", "list", "-d", str(dataset["id"]), "--status", "bogus")
    assert bad_status.exit_code == 2 and "--status" in bad_status.stderr  # a bad option value is usage
    assert sebrus("items", "list", "-d", str(dataset["id"]), "--status", "Pending").exit_code == 0
    (tmp_path / "horse").mkdir()
    (tmp_path / "horse" / "h.png").write_bytes(png(5))
    wrong_label = sebrus("upload", str(tmp_path), "-d", str(dataset["id"]), "--token", token)
    assert wrong_label.exit_code == 1
    assert "horse" in wrong_label.stderr and "cat" in wrong_label.stderr
    assert json.loads(sebrus("items", "list", "-d", str(dataset["id"]), "--json").stdout) == []


def test_saved_token_is_per_url_and_logout_forgets_it(sebrus: Invoke, server: LiveServer) -> None:
    name = f"saver-{next(_names)}"
    sebrus("user", "register", name, "--password-stdin", input=PASSWORD + "\n")
    assert sebrus("user", "login", name, "--save", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    assert sebrus("user", "whoami", "--url", server.url + "/").exit_code == 0  # same server, trailing slash
    elsewhere = sebrus("user", "whoami", "--url", closed_port_url())
    assert elsewhere.exit_code == 2 and "Not logged in" in elsewhere.stderr  # never sent to another server
    token = json.loads(credentials_path().read_text())["servers"][server.url]["token"]
    assert sebrus("user", "logout").exit_code == 0
    assert server.url not in json.loads(credentials_path().read_text())["servers"]
    assert sebrus("user", "whoami", "--token", token).exit_code == 1  # revoked on the server too


def test_a_corrupt_credentials_file_is_named(sebrus: Invoke) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = sebrus("user", "whoami")
    assert result.exit_code == 1 and str(path) in result.stderr.replace("\n", "")


class LimitedTwice:
    """Stands in for the server's rate limiter: refuses the first two uploads, asking for a 1 s wait."""

    def __init__(self) -> None:
        self.refused = 0

    def check(self, user_id: int) -> None:
        if self.refused < 2:
            self.refused += 1
            raise RateLimited("Too many uploads: at most 0 a minute per contributor.", retry_after_seconds=1)


def test_upload_waits_out_a_rate_limit_instead_of_refusing(
    sebrus: Invoke, server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = register_and_login(sebrus)
    dataset = json.loads(sebrus("dataset", "create", "rl", "-l", "a", "--token", token, "--json").stdout)
    image = tmp_path / "z.png"
    image.write_bytes(png(77))
    limiter = LimitedTwice()
    monkeypatch.setattr(server.services, "limiter", limiter)
    result = sebrus("upload", str(image), "-d", str(dataset["id"]), "-l", "a", "--token", token, "--json")
    assert result.exit_code == 0, result.output
    assert limiter.refused == 2 and json.loads(result.stdout)["counts"]["anchored"] == 1


class FailsOnce:
    """Stands in for the rate limiter to make the server fail (500) on the first upload only."""

    def __init__(self) -> None:
        self.failed = False

    def check(self, user_id: int) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("simulated server fault")


def test_upload_retries_a_server_error(
    sebrus: Invoke, server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = register_and_login(sebrus)
    dataset = json.loads(sebrus("dataset", "create", "flaky", "-l", "a", "--token", token, "--json").stdout)
    image = tmp_path / "f.png"
    image.write_bytes(png(78))
    faulty = FailsOnce()
    monkeypatch.setattr(server.services, "limiter", faulty)
    monkeypatch.setattr("sebrus.cli.upload_cmd.FAILURE_BACKOFF", (0.1, 0.1))
    result = sebrus("upload", str(image), "-d", str(dataset["id"]), "-l", "a", "--token", token, "--json")
    assert faulty.failed and result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["anchored"] == 1


def test_a_folder_goes_in_bulk_requests_and_is_reported_per_file(
    sebrus: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sebrus.sdk import Client

    _, token = register_and_login(sebrus)
    dataset = json.loads(
        sebrus("dataset", "create", "bulk", "-l", "a", "-l", "b", "--token", token, "--json").stdout
    )
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for n in range(5):
            (tmp_path / label / f"{n}.png").write_bytes(png(900 + n + (10 if label == "b" else 0)))
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG but not really")
    bulk_calls: list[int] = []
    real_bulk = Client.upload_bulk

    def counting(self: Client, dataset_id: int, files: list[tuple[str, str, bytes]]) -> object:
        bulk_calls.append(len(files))
        return real_bulk(self, dataset_id, files)

    monkeypatch.setattr(Client, "upload_bulk", counting)
    monkeypatch.setattr(Client, "upload", lambda *a, **k: pytest.fail("a folder went file by file"))
    result = sebrus("upload", str(tmp_path), "-d", str(dataset["id"]), "--token", token, "--json")
    assert result.exit_code == 1  # the broken file
    report = json.loads(result.stdout)
    assert bulk_calls == [11]
    assert report["counts"] == {"anchored": 10, "already there": 0, "queued": 0, "refused": 1, "failed": 0}
    by_file = {f["file"]: f for f in report["files"]}
    assert by_file["a/broken.png"]["outcome"] == "refused"
    assert by_file["b/3.png"]["label"] == "b" and by_file["b/3.png"]["outcome"] == "anchored"

    again = sebrus(
        "upload", str(tmp_path / "b"), "-l", "b", "-d", str(dataset["id"]), "--token", token, "--json"
    )
    assert json.loads(again.stdout)["counts"]["already there"] == 5

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.api import assert_error

ABI = [
    {"type": "function", "name": "submit", "inputs": [{"name": "h", "type": "bytes32"}], "outputs": []},
    {"type": "event", "name": "Submitted", "inputs": [], "anonymous": False},
    {"type": "constructor", "inputs": []},
]


def test_create_and_read_by_id_and_name(client, alice):
    response = alice.post("/api/abi", json={"name": "Dataset", "abi": ABI})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "ABI created." and body["abi"]["name"] == "Dataset" and body["abi"]["abi"] == ABI
    abi_id = body["abi"]["id"]
    for ref in (abi_id, "Dataset"):
        found = client.get(f"/api/abi/{ref}")
        assert found.status_code == 200 and found.json()["status"] == "ABI found."
        assert found.json()["abi"]["abi"] == ABI
    assert client.get("/api/abi").json()["total"] == 1
    assert_error(client.get("/api/abi/999"), 404, "ABI not found.")
    assert_error(client.get("/api/abi/Nope"), 404, "ABI not found.")


def test_create_requires_login(client):
    assert_error(client.post("/api/abi", json={"name": "Dataset", "abi": ABI}), 401, "Not logged in")


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..", ".", "a/b", "a\\b", "x" * 65, "", "abi\x00", "name with space", "%2e%2e"],
)
def test_traversal_and_bad_names_are_refused_and_nothing_is_written(alice, tmp_path: Path, monkeypatch, name):
    """The working directory is moved into tmp_path, so a relative write (the prototype's bug) would show."""
    workdir = tmp_path / "cwd" / "deeper" / "still"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    before = _snapshot(tmp_path)
    response = alice.post("/api/abi", json={"name": name, "abi": ABI})
    assert_error(response, 400, "`name`")
    assert _snapshot(tmp_path) == before
    assert alice.get("/api/abi").json()["total"] == 0


def test_valid_abi_writes_no_file_either(alice, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    assert alice.post("/api/abi", json={"name": "Dataset", "abi": ABI}).status_code == 201
    assert _snapshot(tmp_path) == before


def test_traversal_in_path_lookup_is_harmless(client, alice):
    alice.post("/api/abi", json={"name": "Dataset", "abi": ABI})
    for ref in ("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "Dataset.json"):
        response = client.get(f"/api/abi/{ref}")
        assert response.status_code == 404


def _snapshot(root: Path) -> set[str]:
    """Names of files outside the database files, so a write anywhere else shows up."""
    found = set()
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            if "sebrus.db" in filename or filename.endswith((".pyc", "-journal")):
                continue
            found.add(os.path.join(dirpath, filename))
    return found


@pytest.mark.parametrize(
    ("abi", "fragment"),
    [
        ({"type": "function"}, "JSON list"),
        ("[]", "JSON list"),
        ([1, 2], "must be an object"),
        ([{"type": "bogus", "name": "x"}], "`abi[0].type`"),
        ([{"type": "function"}], "needs a string `name`"),
        ([{"type": "event", "name": "E", "inputs": "x"}], "`abi[0].inputs`"),
    ],
)
def test_invalid_abi_is_refused(alice, abi, fragment):
    assert_error(alice.post("/api/abi", json={"name": "Dataset", "abi": abi}), 400, fragment)


def test_missing_fields_and_duplicates(alice, bob):
    assert_error(alice.post("/api/abi", json={"name": "Dataset"}), 400, "Both `name` and `abi` are required.")
    assert alice.post("/api/abi", json={"name": "Dataset", "abi": ABI}).status_code == 201
    assert_error(bob.post("/api/abi", json={"name": "Dataset", "abi": []}), 409, "ABI already exists.")


def test_update_and_delete_matrix(client, alice, bob):
    abi_id = alice.post("/api/abi", json={"name": "Dataset", "abi": ABI}).json()["abi"]["id"]
    assert_error(client.put(f"/api/abi/{abi_id}", json={"abi": []}), 401, "Not logged in")
    assert_error(bob.put(f"/api/abi/{abi_id}", json={"abi": []}), 403, "creator")
    assert_error(alice.put(f"/api/abi/{abi_id}", json={}), 400, "Give a new")
    assert_error(alice.put(f"/api/abi/{abi_id}", json={"name": "../x"}), 400, "`name`")
    updated = alice.put(f"/api/abi/{abi_id}", json={"name": "Dataset2", "abi": ABI[:1]})
    assert updated.status_code == 200 and updated.json()["abi"]["name"] == "Dataset2"
    assert client.get("/api/abi/Dataset2").json()["abi"]["abi"] == ABI[:1]
    assert_error(client.delete(f"/api/abi/{abi_id}"), 401, "Not logged in")
    assert_error(bob.delete(f"/api/abi/{abi_id}"), 403, "creator")
    assert alice.delete(f"/api/abi/{abi_id}").json() == {"status": "ABI removed."}
    assert_error(client.get(f"/api/abi/{abi_id}"), 404, "ABI not found.")


def test_reads_carry_an_etag_and_an_unchanged_abi_costs_a_304(client, alice):
    alice.post("/api/abi", json={"name": "Dataset", "abi": ABI})
    for path in ("/api/abi/Dataset", "/api/abi"):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
        assert etag.startswith('"') and len(etag) == 66
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
        assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200

    etag = client.get("/api/abi/Dataset").headers["ETag"]
    changed = alice.put("/api/abi/Dataset", json={"abi": ABI[:1]})
    assert changed.status_code == 200, changed.text
    after = client.get("/api/abi/Dataset", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.json()["abi"]["abi"] == ABI[:1]
    assert after.headers["ETag"] != etag

"""The SDK against a real server: the contributor's journey, pagination, tokens and the client's plumbing."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from sebrus.sdk import AmbiguousItem, Client, MalformedItemRef, Unauthorized, UnknownItem
from tests.support.images import png
from tests.support.live_server import PASSWORD, LiveServer


def test_register_login_and_me(server: LiveServer) -> None:
    with Client(server.url) as client:
        user = client.register("journey", PASSWORD)
        assert user.username == "journey" and user.id > 0
        token = client.login("journey", PASSWORD)
        assert token and client.token == token
        assert client.me() == user
    with Client(server.url, token=token) as again:
        assert again.me().username == "journey"


def test_login_keeps_only_a_named_api_token(server: LiveServer) -> None:
    with Client(server.url) as client:
        client.register("tokens", PASSWORD)
        client.login("tokens", PASSWORD, token_name="laptop script")
        assert not client._http.cookies  # the cookie session is not our credential
        listed = httpx.get(
            f"{server.url}/api/auth/tokens", headers={"Authorization": f"Bearer {client.token}"}
        )
        assert [t["name"] for t in listed.json()["tokens"]] == ["laptop script"]
        sessions = httpx.get(
            f"{server.url}/api/session/me", headers={"Authorization": f"Bearer {client.token}"}
        ).json()
        assert sessions["session"]["kind"] != "cookie"


def test_logout_revokes_the_token(server: LiveServer, new_user: Callable[[], Client]) -> None:
    client = new_user()
    token = client.token
    client.logout()
    assert client.token is None
    with Client(server.url, token=token) as stale, pytest.raises(Unauthorized):
        stale.me()


def test_dataset_upload_and_read_back(new_user: Callable[[], Client], tmp_path: Path) -> None:
    client = new_user()
    dataset = client.create_dataset("pets", "cats and dogs", ["cat", "dog"], max_width=64, max_bytes=50_000)
    assert dataset.name == "pets" and dataset.labels == ["cat", "dog"]
    assert dataset.max_width == 64 and dataset.max_bytes == 50_000 and dataset.address.startswith("0x")
    assert client.dataset(dataset.id) == dataset
    assert dataset.id in [d.id for d in client.datasets()]

    image = png(1)
    first = client.upload(dataset.id, image, "cat")
    assert first.outcome == "anchored" and first.item is not None
    assert first.content_hash == hashlib.sha256(image).hexdigest() == first.item.content_hash
    assert (first.item.label, first.item.status, first.item.width) == ("cat", "pending", 8)

    again = client.upload(dataset.id, image, "cat")
    assert again.outcome == "already there" and again.item is not None and again.item.id == first.item.id

    path = tmp_path / "dog.png"
    path.write_bytes(png(2))
    from_path = client.upload(dataset.id, path, "dog")
    assert from_path.outcome == "anchored"

    assert [i.content_hash for i in client.items(dataset.id)] == [first.content_hash, from_path.content_hash]
    assert [i.label for i in client.items(dataset.id, label="dog")] == ["dog"]
    me = first.item.contributor
    assert len(list(client.items(dataset.id, contributor=me, status="pending"))) == 2
    assert list(client.items(dataset.id, status="approved")) == []
    assert client.item(dataset.id, first.content_hash.upper()) == first.item
    assert client.image(dataset.id, first.content_hash) == image


def test_upload_without_waiting_is_queued_then_indexed(new_user: Callable[[], Client]) -> None:
    client = new_user()
    dataset = client.create_dataset("later", "", ["x"])
    result = client.upload(dataset.id, png(3), "x", wait=False)
    assert result.outcome == "queued" and result.item is None
    deadline = time.monotonic() + 20
    while not list(client.items(dataset.id)):
        assert time.monotonic() < deadline, "the queued upload was never indexed"
        time.sleep(0.1)
    assert client.item(dataset.id, result.content_hash).label == "x"


def test_items_and_datasets_iterate_over_every_page(new_user: Callable[[], Client]) -> None:
    client = new_user()
    client.page_size = 2
    dataset = client.create_dataset("paged", "", ["a"])
    hashes = [client.upload(dataset.id, png(100 + n), "a", wait=n == 4).content_hash for n in range(5)]
    deadline = time.monotonic() + 20
    while len(list(client.items(dataset.id))) < 5:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sorted(i.content_hash for i in client.items(dataset.id)) == sorted(hashes)
    client.create_dataset("paged-2", "", ["a"])
    client.create_dataset("paged-3", "", ["a"])
    every = client.datasets()
    assert len(every) == len({d.id for d in every}) >= 3
    client.page_size = 100
    assert [d.id for d in client.datasets()] == [d.id for d in every]


def test_to_dict_is_plain_json(new_user: Callable[[], Client]) -> None:
    import json

    client = new_user()
    dataset = client.create_dataset("json", "", ["a"])
    result = client.upload(dataset.id, png(7), "a")
    decoded = json.loads(json.dumps(result.to_dict()))
    assert decoded["outcome"] == "anchored" and decoded["item"]["content_hash"] == result.content_hash
    assert json.loads(json.dumps(dataset.to_dict()))["created_at"] == dataset.created_at.isoformat()


def test_client_is_a_context_manager_and_checks_its_input() -> None:
    with Client("http://127.0.0.1:9/") as client:
        assert client.url == "http://127.0.0.1:9"
    assert client._http.is_closed
    with pytest.raises(ValueError, match="http:// or https://"):
        Client("127.0.0.1:8000")
    with pytest.raises(ValueError, match="sha256"):
        client.item(1, "../../etc")


def test_an_item_is_resolved_from_any_unique_prefix_by_the_server() -> None:
    full = "ab" * 32
    other = "ab" + "cd" * 31
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        prefix = request.url.params["sha_prefix"]
        asked.append(prefix)
        found = [h for h in (full, other) if h.startswith(prefix)]
        return httpx.Response(200, json={"items": [{"content_hash": h} for h in found], "total": len(found)})

    with Client("http://sebrus.test", transport=httpx.MockTransport(answer)) as client:
        assert client.resolve_item(3, " 0XABAB ") == full
        assert client.resolve_item(3, full.upper()) == full  # a whole hash is not looked up
        assert asked == ["abab"]
        with pytest.raises(AmbiguousItem) as ambiguous:
            client.resolve_item(3, "ab")
        assert ambiguous.value.candidates == [full, other] and ambiguous.value.total == 2
        assert "2 items in dataset 3 have a sha256 starting with ab:" in str(ambiguous.value)
        with pytest.raises(UnknownItem, match="No item in dataset 3 has a sha256 starting with ff"):
            client.resolve_item(3, "ff")
        for typed in ("", "xyz", "a" * 65, "ab%"):
            with pytest.raises(MalformedItemRef):
                client.resolve_item(3, typed)
        assert asked == ["abab", "ab", "ff"]  # nothing malformed reached the server

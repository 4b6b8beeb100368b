"""Every refusal maps to its SebrusError subclass and carries the server's own message."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from sebrus.sdk import (
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    SebrusConnectionError,
    SebrusError,
    ServerError,
    TooLarge,
    Unauthorized,
)
from sebrus.services.ingest.contributions import UploadRateLimiter
from tests.support.images import png
from tests.support.live_server import PASSWORD, LiveServer, closed_port_url


def test_bad_image_and_unknown_label_are_invalid_requests(new_user: Callable[[], Client]) -> None:
    client = new_user()
    dataset = client.create_dataset("errors", "", ["cat"])
    with pytest.raises(InvalidRequest) as bad:
        client.upload(dataset.id, b"not an image at all", "cat")
    assert bad.value.status_code == 400 and "not an image" in bad.value.message
    with pytest.raises(InvalidRequest, match="not in this dataset's label set"):
        client.upload(dataset.id, png(1), "horse")


def test_a_schema_violation_is_an_invalid_request(new_user: Callable[[], Client]) -> None:
    client = new_user()
    dataset = client.create_dataset("schema", "", ["cat"])
    with pytest.raises(InvalidRequest) as caught:
        list(client.items(dataset.id, status="bogus"))
    assert caught.value.status_code == 422 and "status" in caught.value.message


def test_missing_or_wrong_token_is_unauthorized(server: LiveServer) -> None:
    with Client(server.url) as anonymous, pytest.raises(Unauthorized) as caught:
        anonymous.me()
    assert caught.value.status_code == 401 and "Not logged in" in caught.value.message
    with (
        Client(server.url, token="nonsense") as wrong,
        pytest.raises(Unauthorized, match="invalid or expired"),
    ):
        wrong.me()
    with Client(server.url) as client, pytest.raises(Unauthorized):
        client.create_dataset("nope", "", ["a"])


def test_wrong_password_is_refused(server: LiveServer) -> None:
    with Client(server.url) as client:
        client.register("forgetful", PASSWORD)
        with pytest.raises(SebrusError) as caught:
            client.login("forgetful", "not the password")
        assert caught.value.status_code in (400, 401) and client.token is None


def test_changing_someone_elses_dataset_is_forbidden(new_user: Callable[[], Client]) -> None:
    owner, other = new_user(), new_user()
    dataset = owner.create_dataset("mine", "", ["a"])
    with pytest.raises(Forbidden) as caught:
        other._request("PUT", f"/api/dataset/{dataset.id}", json={"description": "hijacked"})
    assert caught.value.status_code == 403 and caught.value.message


def test_unknown_dataset_or_item_is_not_found(new_user: Callable[[], Client]) -> None:
    client = new_user()
    with pytest.raises(NotFound, match="not found"):
        client.dataset(999_999)
    dataset = client.create_dataset("empty", "", ["a"])
    with pytest.raises(NotFound, match="No item"):
        client.item(dataset.id, "0" * 64)
    with pytest.raises(NotFound):
        client.image(dataset.id, "0" * 64)


def test_taken_username_and_someone_elses_bytes_conflict(
    server: LiveServer, new_user: Callable[[], Client]
) -> None:
    client = new_user()
    me = client.me()
    with Client(server.url) as anonymous, pytest.raises(Conflict, match="already exists"):
        anonymous.register(me.username, PASSWORD)
    dataset = client.create_dataset("shared", "", ["a"])
    client.upload(dataset.id, png(5), "a")
    with pytest.raises(Conflict) as caught:
        new_user().upload(dataset.id, png(5), "a")
    assert caught.value.status_code == 409


def test_too_large_upload(new_user: Callable[[], Client]) -> None:
    client = new_user()
    dataset = client.create_dataset("tiny", "", ["a"], max_bytes=100)
    with pytest.raises(TooLarge, match="limit") as caught:
        client.upload(dataset.id, png(6, (64, 64)) + b"\0" * 200, "a")
    assert caught.value.status_code == 413


def test_rate_limited_with_retry_after(
    server: LiveServer, new_user: Callable[[], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = new_user()
    dataset = client.create_dataset("busy", "", ["a"])
    monkeypatch.setattr(server.services, "limiter", UploadRateLimiter(1))
    client.upload(dataset.id, png(8), "a")
    with pytest.raises(RateLimited, match="Too many uploads") as caught:
        client.upload(dataset.id, png(9), "a")
    assert caught.value.status_code == 429
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 61


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500, text="Internal Server Error"), "HTTP 500 Internal Server Error"),
        (httpx.Response(503, json={"status": "No chain attached."}), "No chain attached."),
        (httpx.Response(502), "HTTP 502 Bad Gateway"),
    ],
    ids=["500-text", "503-json", "502-empty"],
)
def test_server_failures_are_server_errors(response: httpx.Response, message: str) -> None:
    # A real server does not fail on demand, so these answers come from a mock transport.
    transport = httpx.MockTransport(lambda _request: response)
    with Client("http://sebrus.test", transport=transport) as client, pytest.raises(ServerError) as caught:
        client.datasets()
    assert caught.value.status_code == response.status_code and caught.value.message.startswith(message)


def test_unknown_status_is_still_a_sebrus_error() -> None:
    transport = httpx.MockTransport(lambda _request: httpx.Response(418, json={"status": "I'm a teapot."}))
    with Client("http://sebrus.test", transport=transport) as client, pytest.raises(SebrusError) as caught:
        client.me()
    assert type(caught.value) is SebrusError and str(caught.value) == "I'm a teapot. (HTTP 418)"


def test_unreachable_server_names_the_url() -> None:
    url = closed_port_url()
    with Client(url) as client, pytest.raises(SebrusConnectionError) as caught:
        client.datasets()
    assert isinstance(caught.value, SebrusError) and caught.value.status_code is None
    assert url in str(caught.value) and caught.value.url == url

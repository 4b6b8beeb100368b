"""Helpers for API tests: logged-in browsers and error assertions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "another long password"
KNOWN_PASSWORDS = (PASSWORD, OTHER_PASSWORD, "new password 123", "wrong password")


@dataclass
class Person:
    """A logged-in browser: cookie set, and the CSRF header it must send on changes."""

    client: TestClient
    user_id: int
    username: str
    session_id: int
    token: str
    csrf: str

    @property
    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, headers=self.csrf_headers, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.put(url, headers=self.csrf_headers, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.delete(url, headers=self.csrf_headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)


def sign_up_and_log_in(client: TestClient, username: str, password: str = PASSWORD) -> Person:
    created = client.post("/api/user", json={"username": username, "password": password})
    assert created.status_code == 201, created.text
    login = client.post("/api/session", json={"username": username, "password": password})
    assert login.status_code == 201, login.text
    session = login.json()["session"]
    return Person(
        client=client,
        user_id=created.json()["user"]["id"],
        username=username,
        session_id=session["id"],
        token=session["token"],
        csrf=session["csrf_token"],
    )


def assert_error(response: httpx.Response, status_code: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    body: dict[str, Any] = response.json()
    assert fragment in body["status"], body
    assert "detail" in body
    return body

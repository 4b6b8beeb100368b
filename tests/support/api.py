"""Helpers for API tests: logged-in browsers and error assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "another long password"
KNOWN_PASSWORDS = (PASSWORD, OTHER_PASSWORD, "new password 123", "wrong password")
FORBIDDEN_KEYS = {"password", "password_hash", "keystore", "token_hash", "csrf_secret"}


@dataclass
class Person:
    """A logged-in browser: cookie set, and the CSRF header it must send on changes."""

    client: TestClient
    user_id: int
    username: str
    session_id: int
    token: str
    csrf: str
    password: str = PASSWORD

    @property
    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(url, headers=self.csrf_headers, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.put(url, headers=self.csrf_headers, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        # request(): httpx's delete() takes no body, and deleting an account sends the password
        return self.client.request("DELETE", url, headers=self.csrf_headers, **kwargs)

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
        password=password,
    )


def assert_error(response: httpx.Response, status_code: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    body: dict[str, Any] = response.json()
    assert fragment in body["status"], body
    assert "detail" in body
    return body


@dataclass
class ResponseLog:
    bodies: list[tuple[str, str]] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append((f"{response.request.method} {response.request.url.path}", response.text))

    def assert_no_secrets(self) -> None:
        for where, text in self.bodies:
            for secret in KNOWN_PASSWORDS:
                assert secret not in text, f"{where} echoed a password"
            assert "$argon2" not in text, f"{where} leaked a password hash"
            if where.endswith("/openapi.json"):
                continue  # the schema names a `password` field; it documents it, it holds none
            try:
                body = json.loads(text)
            except ValueError:
                continue
            _assert_no_forbidden_keys(body, where)


def _assert_no_forbidden_keys(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            assert key not in FORBIDDEN_KEYS, f"{where} returned a `{key}` field"
            _assert_no_forbidden_keys(inner, where)
    elif isinstance(value, list):
        for inner in value:
            _assert_no_forbidden_keys(inner, where)

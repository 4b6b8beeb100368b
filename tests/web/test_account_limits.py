"""The Register page within the sign-up limit per address (item 12 of the audit): beyond it, the form
again with a 429, Retry-After and a sentence, and no account made. The Login page's backoff locks out
the guessing address, not the account's owner (item 7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.api import create_app
from sebrus.web.mount import install_web
from tests.support.platform import cheap_settings
from tests.support.web import PASSWORD, csrf_from


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[FastAPI]:
    """The pages on the API alone (no chain: sign-up makes no wallet), one sign-up an hour per address."""
    app = create_app(cheap_settings(tmp_path / "data", signup_per_hour=1))
    install_web(app)
    yield app
    app.state.platform.engine.dispose()


def _register(app: FastAPI, address: str, username: str) -> tuple[int, str, dict[str, str]]:
    visitor = TestClient(app, follow_redirects=False, client=(address, 50000))
    form = visitor.get("/register")
    sent = visitor.post(
        "/register",
        data={
            "csrf_token": csrf_from(form.text),
            "username": username,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    return sent.status_code, sent.text, dict(sent.headers)


def test_register_page_refuses_beyond_the_limit_with_429_and_a_sentence(pages: FastAPI) -> None:
    assert _register(pages, "203.0.113.5", "first")[0] == 303
    status, page, headers = _register(pages, "203.0.113.5", "second")
    assert status == 429 and 0 < int(headers["retry-after"]) <= 3600
    assert "Too many new accounts from your address: at most 1 an hour" in page
    assert 'value="second"' in page and PASSWORD not in page
    assert _register(pages, "198.51.100.7", "second")[0] == 303  # another address still may


def _log_in(app: FastAPI, address: str, username: str, password: str) -> tuple[int, str, dict[str, str]]:
    visitor = TestClient(app, follow_redirects=False, client=(address, 50000))
    form = visitor.get("/login")
    data = {"csrf_token": csrf_from(form.text), "username": username, "password": password}
    sent = visitor.post("/login", data=data)
    return sent.status_code, sent.text, dict(sent.headers)


def test_login_page_backs_off_the_guessing_address_only(pages: FastAPI) -> None:
    assert _register(pages, "198.51.100.7", "alice")[0] == 303
    max_failures = pages.state.platform.throttle.max_failures
    for _ in range(max_failures):
        assert _log_in(pages, "203.0.113.5", "alice", "a wrong guess")[0] == 400
    status, page, headers = _log_in(pages, "203.0.113.5", "alice", PASSWORD)
    assert status == 429 and int(headers["retry-after"]) > 0 and "Too many failed logins" in page
    assert _log_in(pages, "198.51.100.7", "alice", PASSWORD)[0] == 303  # the owner gets in

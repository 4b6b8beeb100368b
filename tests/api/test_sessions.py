from __future__ import annotations

import pytest

from tests.support.api import PASSWORD, assert_error


def test_login_sets_hardened_cookie_and_returns_prototype_shape(client, alice):
    response = client.post("/api/session", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "Session created."
    assert {"id", "token", "user_id", "csrf_token"} <= set(body["session"])
    assert body["session"]["user_id"] == alice.user_id
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"session={body['session']['token']};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development on http by default


def test_cookie_is_secure_when_configured(make_client, settings, alice):
    settings.cookie_secure = True
    response = make_client().post("/api/session", json={"username": "alice", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("body", [{}, {"username": "alice"}, {"password": PASSWORD}])
def test_login_missing_fields(client, body):
    assert_error(client.post("/api/session", json=body), 400, "Both `username` and `password` are required.")


def test_login_wrong_credentials_are_401_with_prototype_message(client, alice):
    for body in (
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "bad name!", "password": PASSWORD},
    ):
        response = client.post("/api/session", json=body)
        assert_error(response, 401, "Username and password not found.")
        assert "set-cookie" not in response.headers


def test_login_backoff_after_repeated_failures(client, alice):
    for _ in range(3):
        assert (
            client.post("/api/session", json={"username": "alice", "password": "wrong password"}).status_code
            == 401
        )
    locked = client.post("/api/session", json={"username": "alice", "password": PASSWORD})
    assert_error(locked, 429, "Too many failed logins")
    assert 0 < int(locked.headers["Retry-After"]) <= 30


def test_me_shows_user_and_session_but_not_the_token(alice):
    response = alice.get("/api/session/me")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Success."
    assert body["user"] == {"id": alice.user_id, "username": "alice"}
    assert body["session"]["id"] == alice.session_id and body["session"]["csrf_token"] == alice.csrf
    assert "token" not in body["session"] and alice.token not in response.text


def test_me_without_or_with_bad_cookie(client, make_client):
    assert_error(client.get("/api/session/me"), 401, "Not logged in")
    stale = make_client()
    stale.cookies.set("session", "forged-token")
    assert_error(stale.get("/api/session/me"), 401, "Not logged in")


def test_bad_bearer_header(client, alice):
    assert_error(
        client.get("/api/session/me", headers={"Authorization": "Bearer nope"}), 401, "invalid or expired"
    )
    assert_error(client.get("/api/session/me", headers={"Authorization": "Basic abc"}), 401, "Bearer <token>")
    ok = client.get("/api/session/me", headers={"Authorization": f"Bearer {alice.token}"})
    assert ok.status_code == 200 and ok.json()["user"]["id"] == alice.user_id


def test_get_session_by_id_matrix(client, alice, bob):
    assert_error(client.get(f"/api/session/{alice.session_id}"), 401, "Not logged in")
    assert_error(bob.get(f"/api/session/{alice.session_id}"), 403, "your own sessions")
    own = alice.get(f"/api/session/{alice.session_id}")
    assert own.status_code == 200 and own.json()["session"]["user_id"] == alice.user_id
    assert_error(alice.get("/api/session/999"), 404, "Session not found.")
    assert_error(alice.get("/api/session/abc"), 422, "session_id")


def test_delete_session_matrix(client, alice, bob):
    assert_error(client.delete(f"/api/session/{alice.session_id}"), 401, "Not logged in")
    # Anonymous: the same answer whether the session exists or not (found by schemathesis's ignored_auth).
    assert_error(client.delete("/api/session/999"), 401, "Not logged in")
    assert_error(bob.delete(f"/api/session/{alice.session_id}"), 403, "your own sessions")
    assert_error(alice.client.delete(f"/api/session/{alice.session_id}"), 403, "X-CSRF-Token")
    response = alice.delete(f"/api/session/{alice.session_id}")
    assert response.status_code == 200 and response.json() == {"status": "Session deleted."}
    assert 'session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert alice.get("/api/session/me").status_code == 401
    assert_error(alice.delete(f"/api/session/{alice.session_id}"), 401, "Not logged in")  # now logged out
    assert_error(bob.delete("/api/session/999999"), 404, "Session not found.")


def test_logout_via_me(alice, client):
    assert alice.delete("/api/session/me").status_code == 200
    assert alice.get("/api/session/me").status_code == 401
    assert_error(client.delete("/api/session/me"), 401, "no session")


def test_wrong_csrf_token_is_refused(alice):
    response = alice.client.post("/api/abi", json={"name": "x", "abi": []}, headers={"X-CSRF-Token": "guess"})
    assert_error(response, 403, "X-CSRF-Token")


def test_csrf_token_of_another_session_is_refused(alice, bob):
    response = alice.client.post(
        "/api/abi", json={"name": "x", "abi": []}, headers={"X-CSRF-Token": bob.csrf}
    )
    assert_error(response, 403, "X-CSRF-Token")

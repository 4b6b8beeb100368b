from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sebrus.api import create_app
from tests.support.api import OTHER_PASSWORD, PASSWORD, assert_error, sign_up_and_log_in


def test_register_returns_prototype_envelope_without_password(client):
    response = client.post("/api/user", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "User created."
    assert set(body["user"]) == {"id", "username"} and body["user"]["username"] == "alice"


@pytest.mark.parametrize("body", [{}, {"username": "alice"}, {"password": PASSWORD}, {"username": None}])
def test_register_missing_fields(client, body):
    assert_error(client.post("/api/user", json=body), 400, "Both `username` and `password` are required.")


@pytest.mark.parametrize("username", ["ab", "a" * 33, "has space", "sl/ash", "ünï", "../etc"])
def test_register_bad_username(client, username):
    assert_error(
        client.post("/api/user", json={"username": username, "password": PASSWORD}), 400, "`username`"
    )


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_register_bad_password(client, password):
    assert_error(
        client.post("/api/user", json={"username": "alice", "password": password}), 400, "`password`"
    )


def test_register_wrong_type_is_422_naming_field(client):
    body = assert_error(
        client.post("/api/user", json={"username": 5, "password": PASSWORD}), 422, "`username`"
    )
    assert body["detail"][0]["loc"][-1] == "username"


def test_register_non_json_body(client):
    response = client.post("/api/user", content=b"not json", headers={"content-type": "application/json"})
    assert_error(response, 422, "Invalid request")


def test_duplicate_username_is_409_case_insensitively(client):
    client.post("/api/user", json={"username": "alice", "password": PASSWORD})
    assert_error(
        client.post("/api/user", json={"username": "ALICE", "password": PASSWORD}),
        409,
        "User already exists.",
    )


def test_read_one_and_all(alice, bob):
    one = alice.get(f"/api/user/{bob.user_id}")
    assert one.status_code == 200 and one.json()["users"] == [{"id": bob.user_id, "username": "bob"}]
    everyone = alice.get("/api/user/all")
    assert [u["username"] for u in everyone.json()["users"]] == ["alice", "bob"]
    assert everyone.json()["total"] == 2
    page = alice.get("/api/user/all", params={"limit": 1, "offset": 1})
    assert [u["username"] for u in page.json()["users"]] == ["bob"]


def test_anonymous_callers_get_no_usernames(client, alice):
    # The list of every username is half of what a password guesser needs; ids can be counted.
    assert_error(client.get("/api/user/all"), 401, "Not logged in")
    response = client.get(f"/api/user/{alice.user_id}")
    assert_error(response, 401, "Not logged in")
    assert "alice" not in response.text


def test_read_unknown_and_malformed(alice):
    assert_error(alice.get("/api/user/999"), 404, "User not found.")
    assert_error(alice.get("/api/user/abc"), 400, "number or `all`")
    assert_error(alice.get("/api/user/all", params={"limit": 0}), 422, "limit")


def test_update_requires_auth(client, alice):
    assert_error(client.put(f"/api/user/{alice.user_id}", json={"username": "x1y2z3"}), 401, "Not logged in")


def test_update_other_user_is_forbidden(alice, bob):
    assert_error(alice.put(f"/api/user/{bob.user_id}", json={"username": "hacked"}), 403, "your own account")
    assert bob.get(f"/api/user/{bob.user_id}").json()["users"][0]["username"] == "bob"


def test_update_own_username_and_password(alice, make_client):
    renamed = alice.put(f"/api/user/{alice.user_id}", json={"username": "alice2"})
    assert renamed.status_code == 200 and renamed.json()["user"]["username"] == "alice2"
    changed = alice.put(
        f"/api/user/{alice.user_id}", json={"password": "new password 123", "current_password": PASSWORD}
    )
    assert changed.status_code == 200 and changed.json()["status"] == "User edited."
    fresh = make_client()
    assert fresh.post("/api/session", json={"username": "alice2", "password": PASSWORD}).status_code == 401
    assert (
        fresh.post("/api/session", json={"username": "alice2", "password": "new password 123"}).status_code
        == 201
    )
    # the session that made the change stays valid
    assert alice.get("/api/session/me").status_code == 200


def test_a_stolen_token_cannot_change_the_password_or_delete_the_account(make_client, alice):
    thief = make_client()
    stolen = {"Authorization": f"Bearer {alice.token}"}
    url = f"/api/user/{alice.user_id}"
    missing = thief.put(url, json={"password": "thief's password"}, headers=stolen)
    assert_error(missing, 400, "`current_password`")
    guess = {"password": "thief's password", "current_password": "a guess"}
    guessed = thief.put(url, json=guess, headers=stolen)
    assert_error(guessed, 403, "`current_password` is not your password")
    assert_error(thief.request("DELETE", url, headers=stolen), 400, "`current_password`")
    assert_error(
        thief.request("DELETE", url, json={"current_password": "a guess"}, headers=stolen),
        403,
        "`current_password` is not your password",
    )
    # alice's password still works, and so does every session she had
    again = make_client().post("/api/session", json={"username": "alice", "password": PASSWORD})
    assert again.status_code == 201
    assert alice.get("/api/session/me").status_code == 200


def test_password_change_ends_every_other_session_and_token(alice, make_client):
    other_device = sign_in(make_client(), "alice")
    script = alice.post("/api/auth/tokens", json={"name": "script"}).json()["token"]["token"]
    assert other_device.get("/api/session/me").status_code == 200
    changed = alice.put(
        f"/api/user/{alice.user_id}", json={"password": "new password 123", "current_password": PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert other_device.get("/api/session/me").status_code == 401
    bare = make_client()
    assert_error(
        bare.get("/api/session/me", headers={"Authorization": f"Bearer {script}"}), 401, "invalid or expired"
    )
    assert alice.get("/api/session/me").status_code == 200  # the one that proved the password


def sign_in(client, username, password=PASSWORD):
    response = client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 201
    return client


def test_update_validation(alice, bob):
    assert_error(alice.put(f"/api/user/{alice.user_id}", json={}), 400, "Give a new")
    assert_error(alice.put(f"/api/user/{alice.user_id}", json={"username": "b"}), 400, "`username`")
    assert_error(
        alice.put(f"/api/user/{alice.user_id}", json={"username": "BOB"}), 409, "User already exists."
    )
    short = {"password": "short", "current_password": PASSWORD}
    assert_error(alice.put(f"/api/user/{alice.user_id}", json=short), 400, "`password`")
    assert_error(alice.put("/api/user/999", json={"username": "zed"}), 404, "User not found.")


def test_delete_matrix(client, alice, bob):
    proof = {"current_password": PASSWORD}
    assert_error(client.request("DELETE", f"/api/user/{alice.user_id}", json=proof), 401, "Not logged in")
    assert_error(bob.delete(f"/api/user/{alice.user_id}", json=proof), 403, "your own account")
    response = alice.delete(f"/api/user/{alice.user_id}", json=proof)
    assert response.status_code == 200 and response.json() == {"status": "User deleted."}
    assert_error(bob.get(f"/api/user/{alice.user_id}"), 404, "User not found.")
    # sessions went with the account
    assert alice.get("/api/session/me").status_code == 401


def test_delete_needs_csrf_with_cookie(alice):
    response = alice.client.request(
        "DELETE", f"/api/user/{alice.user_id}", json={"current_password": PASSWORD}
    )
    assert_error(response, 403, "X-CSRF-Token")
    assert alice.get(f"/api/user/{alice.user_id}").status_code == 200


def test_bearer_token_needs_no_csrf(make_client, alice):
    bare = make_client()
    response = bare.request(
        "DELETE",
        f"/api/user/{alice.user_id}",
        headers={"Authorization": f"Bearer {alice.token}"},
        json={"current_password": PASSWORD},
    )
    assert response.status_code == 200


def test_other_password_user_fixture_works(make_client):
    person = sign_up_and_log_in(make_client(), "carol", OTHER_PASSWORD)
    assert person.get("/api/session/me").json()["user"]["username"] == "carol"


def test_sign_up_is_limited_per_client_address(settings):
    app = create_app(settings.model_copy(update={"signup_per_hour": 2}))
    try:
        here = TestClient(app, client=("203.0.113.5", 50000))
        for name in ("first", "second"):
            assert here.post("/api/user", json={"username": name, "password": PASSWORD}).status_code == 201
        refused = here.post("/api/user", json={"username": "third", "password": PASSWORD})
        assert_error(refused, 429, "Too many new accounts from your address: at most 2 an hour")
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        elsewhere = TestClient(app, client=("198.51.100.7", 50000))
        other = elsewhere.post("/api/user", json={"username": "third", "password": PASSWORD})
        assert other.status_code == 201
    finally:
        app.state.platform.engine.dispose()


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(app, alice):
    stranger = TestClient(app, client=("203.0.113.5", 50000))
    for _ in range(3):
        wrong = stranger.post("/api/session", json={"username": "alice", "password": "a guess"})
        assert wrong.status_code == 401
    assert_error(
        stranger.post("/api/session", json={"username": "alice", "password": PASSWORD}), 429, "Too many"
    )
    owner = TestClient(app, client=("198.51.100.7", 50000))
    assert owner.post("/api/session", json={"username": "alice", "password": PASSWORD}).status_code == 201

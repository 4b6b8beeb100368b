from __future__ import annotations

import pytest

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


def test_read_one_and_all(client, alice, bob):
    one = client.get(f"/api/user/{alice.user_id}")
    assert one.status_code == 200 and one.json()["users"] == [{"id": alice.user_id, "username": "alice"}]
    everyone = client.get("/api/user/all")
    assert [u["username"] for u in everyone.json()["users"]] == ["alice", "bob"]
    assert everyone.json()["total"] == 2
    page = client.get("/api/user/all", params={"limit": 1, "offset": 1})
    assert [u["username"] for u in page.json()["users"]] == ["bob"]


def test_read_unknown_and_malformed(client):
    assert_error(client.get("/api/user/999"), 404, "User not found.")
    assert_error(client.get("/api/user/abc"), 400, "number or `all`")
    assert_error(client.get("/api/user/all", params={"limit": 0}), 422, "limit")


def test_update_requires_auth(client, alice):
    assert_error(client.put(f"/api/user/{alice.user_id}", json={"username": "x1y2z3"}), 401, "Not logged in")


def test_update_other_user_is_forbidden(alice, bob):
    assert_error(alice.put(f"/api/user/{bob.user_id}", json={"username": "hacked"}), 403, "your own account")
    assert bob.get(f"/api/user/{bob.user_id}").json()["users"][0]["username"] == "bob"


def test_update_own_username_and_password(alice, make_client):
    renamed = alice.put(f"/api/user/{alice.user_id}", json={"username": "alice2"})
    assert renamed.status_code == 200 and renamed.json()["user"]["username"] == "alice2"
    changed = alice.put(f"/api/user/{alice.user_id}", json={"password": "new password 123"})
    assert changed.status_code == 200 and changed.json()["status"] == "User edited."
    fresh = make_client()
    assert fresh.post("/api/session", json={"username": "alice2", "password": PASSWORD}).status_code == 401
    assert (
        fresh.post("/api/session", json={"username": "alice2", "password": "new password 123"}).status_code
        == 201
    )
    # the session that made the change stays valid
    assert alice.get("/api/session/me").status_code == 200


def test_password_change_revokes_other_sessions(alice, make_client):
    other_device = sign_in(make_client(), "alice")
    assert other_device.get("/api/session/me").status_code == 200
    alice.put(f"/api/user/{alice.user_id}", json={"password": "new password 123"})
    assert other_device.get("/api/session/me").status_code == 401


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
    assert_error(alice.put(f"/api/user/{alice.user_id}", json={"password": "short"}), 400, "`password`")
    assert_error(alice.put("/api/user/999", json={"username": "zed"}), 404, "User not found.")


def test_delete_matrix(client, alice, bob):
    assert_error(client.delete(f"/api/user/{alice.user_id}"), 401, "Not logged in")
    assert_error(bob.delete(f"/api/user/{alice.user_id}"), 403, "your own account")
    response = alice.delete(f"/api/user/{alice.user_id}")
    assert response.status_code == 200 and response.json() == {"status": "User deleted."}
    assert_error(client.get(f"/api/user/{alice.user_id}"), 404, "User not found.")
    # sessions went with the account
    assert alice.get("/api/session/me").status_code == 401


def test_delete_needs_csrf_with_cookie(alice):
    response = alice.client.delete(f"/api/user/{alice.user_id}")
    assert_error(response, 403, "X-CSRF-Token")
    assert alice.get(f"/api/user/{alice.user_id}").status_code == 200


def test_bearer_token_needs_no_csrf(make_client, alice):
    bare = make_client()
    response = bare.delete(f"/api/user/{alice.user_id}", headers={"Authorization": f"Bearer {alice.token}"})
    assert response.status_code == 200


def test_other_password_user_fixture_works(make_client):
    person = sign_up_and_log_in(make_client(), "carol", OTHER_PASSWORD)
    assert person.get("/api/session/me").json()["user"]["username"] == "carol"

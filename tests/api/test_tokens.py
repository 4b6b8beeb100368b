from __future__ import annotations

from tests.support.api import assert_error


def test_mint_use_list_revoke(alice, make_client):
    minted = alice.post("/api/auth/tokens", json={"name": "upload script", "expires_in_days": 7})
    assert minted.status_code == 201, minted.text
    token = minted.json()["token"]
    assert minted.json()["status"] == "Token created." and token["name"] == "upload script"

    script = make_client()
    auth = {"Authorization": f"Bearer {token['token']}"}
    me = script.get("/api/session/me", headers=auth)
    assert me.status_code == 200 and me.json()["session"]["kind"] == "api-token"
    # bearer requests need no CSRF header
    assert script.post("/api/abi", json={"name": "Dataset", "abi": []}, headers=auth).status_code == 201

    listed = alice.get("/api/auth/tokens").json()["tokens"]
    assert [t["id"] for t in listed] == [token["id"]]
    assert "token" not in listed[0]

    assert alice.delete(f"/api/auth/tokens/{token['id']}").json() == {"status": "Token revoked."}
    assert_error(script.get("/api/session/me", headers=auth), 401, "invalid or expired")


def test_token_auth_matrix(client, alice, bob):
    assert_error(client.post("/api/auth/tokens", json={"name": "x"}), 401, "Not logged in")
    assert_error(client.get("/api/auth/tokens"), 401, "Not logged in")
    token_id = alice.post("/api/auth/tokens", json={"name": "mine"}).json()["token"]["id"]
    assert_error(bob.delete(f"/api/auth/tokens/{token_id}"), 403, "your own")
    assert_error(alice.delete(f"/api/auth/tokens/{alice.session_id}"), 404, "API token not found.")
    assert_error(alice.delete("/api/auth/tokens/999"), 404, "not found")


def test_token_validation(alice):
    assert_error(alice.post("/api/auth/tokens", json={}), 422, "`name`")
    assert_error(alice.post("/api/auth/tokens", json={"name": ""}), 422, "`name`")
    assert_error(
        alice.post("/api/auth/tokens", json={"name": "x", "expires_in_days": 0}), 422, "expires_in_days"
    )

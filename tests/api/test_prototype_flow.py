"""The prototype client's own sequence of calls, end to end, as its React app makes them."""

from __future__ import annotations

ABI = [
    {"type": "function", "name": "addImage", "inputs": [{"name": "image", "type": "string"}], "outputs": []}
]
ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_register_login_abi_dataset_me_then_delete_user_and_session(client):
    registered = client.post("/api/user", json={"username": "prototype", "password": "secret password"})
    assert registered.status_code == 201
    assert registered.json() == {
        "status": "User created.",
        "user": {"id": registered.json()["user"]["id"], "username": "prototype"},
    }
    user_id = registered.json()["user"]["id"]

    login = client.post("/api/session", json={"username": "prototype", "password": "secret password"})
    assert login.status_code == 201 and login.json()["status"] == "Session created."
    session = login.json()["session"]
    assert session["user_id"] == user_id and client.cookies.get("session") == session["token"]
    csrf = {"X-CSRF-Token": session["csrf_token"]}

    abi = client.post("/api/abi", json={"name": "Dataset", "abi": ABI}, headers=csrf)
    assert abi.status_code == 201 and abi.json()["status"] == "ABI created."
    fetched = client.get(f"/api/abi/{abi.json()['abi']['id']}")
    assert fetched.json()["status"] == "ABI found." and fetched.json()["abi"]["abi"] == ABI

    dataset = client.post(
        "/api/dataset",
        json={"datasetName": "Cats", "description": "cat photos", "address": ADDRESS},
        headers=csrf,
    )
    assert dataset.status_code == 201 and dataset.json()["status"] == "New dataset created."
    new = dataset.json()["new_dataset"]
    assert (new["datasetName"], new["description"], new["address"]) == ("Cats", "cat photos", ADDRESS)
    listed = client.get(f"/api/dataset/{new['id']}").json()
    assert listed["user"]["datasetName"] == "Cats"

    me = client.get("/api/session/me")
    assert me.status_code == 200
    assert me.json()["user"] == {"id": user_id, "username": "prototype"}
    assert me.json()["session"]["id"] == session["id"] and me.json()["session"]["user_id"] == user_id

    # unlike the prototype, deleting the account needs its password again (a stolen session is not enough)
    deleted = client.request(
        "DELETE", f"/api/user/{user_id}", headers=csrf, json={"current_password": "secret password"}
    )
    assert deleted.status_code == 200 and deleted.json() == {"status": "User deleted."}
    gone = client.delete(f"/api/session/{session['id']}", headers=csrf)
    # The account's sessions went with it, so the logout call is no longer logged in.
    assert gone.status_code == 401 and gone.json()["status"].startswith("Not logged in")
    assert client.get("/api/session/me").status_code == 401
    # the dataset stays (it lives on chain); it just has no owner account any more
    assert client.get(f"/api/dataset/{new['id']}").json()["dataset"]["owner_id"] is None


def test_logout_then_delete_order_also_works(client):
    client.post("/api/user", json={"username": "proto2", "password": "secret password"})
    session = client.post("/api/session", json={"username": "proto2", "password": "secret password"}).json()[
        "session"
    ]
    out = client.delete(f"/api/session/{session['id']}", headers={"X-CSRF-Token": session["csrf_token"]})
    assert out.status_code == 200 and out.json() == {"status": "Session deleted."}
    assert client.get("/api/session/me").status_code == 401

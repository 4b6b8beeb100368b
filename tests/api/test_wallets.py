from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct

from tests.support.api import assert_error


def _sign(account, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix("0x")


def test_custodial_wallet_matrix(client, alice):
    assert_error(client.post("/api/wallets/custodial"), 401, "Not logged in")
    created = alice.post("/api/wallets/custodial")
    assert created.status_code == 201, created.text
    wallet = created.json()["wallet"]
    assert wallet["kind"] == "custodial" and wallet["address"].startswith("0x")
    assert_error(alice.post("/api/wallets/custodial"), 409, "already have")
    assert alice.get("/api/wallets").json()["wallets"] == [wallet]


def test_link_external_wallet_by_signature(alice):
    account = Account.create()
    challenge = alice.post("/api/wallets/challenge", json={"address": account.address.lower()})
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()["challenge"]
    assert body["address"] == account.address and body["nonce"] in body["message"]
    linked = alice.post(
        "/api/wallets/link", json={"nonce": body["nonce"], "signature": _sign(account, body["message"])}
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["wallet"] == {
        **linked.json()["wallet"],
        "kind": "external",
        "address": account.address,
    }
    # replaying the same signed challenge fails
    replay = alice.post(
        "/api/wallets/link", json={"nonce": body["nonce"], "signature": _sign(account, body["message"])}
    )
    assert_error(replay, 400, "already used")


def test_link_refuses_wrong_signer_and_garbage(alice, bob):
    account, impostor = Account.create(), Account.create()
    body = alice.post("/api/wallets/challenge", json={"address": account.address}).json()["challenge"]
    wrong = alice.post(
        "/api/wallets/link", json={"nonce": body["nonce"], "signature": _sign(impostor, body["message"])}
    )
    assert_error(wrong, 400, "not made by the challenged address")
    garbage = alice.post("/api/wallets/link", json={"nonce": body["nonce"], "signature": "0x1234"})
    assert_error(garbage, 400, "not a valid Ethereum signature")
    # another user cannot redeem alice's challenge
    stolen = bob.post(
        "/api/wallets/link", json={"nonce": body["nonce"], "signature": _sign(account, body["message"])}
    )
    assert_error(stolen, 404, "challenge not found")
    assert alice.get("/api/wallets").json()["wallets"] == []


def test_challenge_validation_and_taken_address(client, alice, bob):
    assert_error(
        client.post("/api/wallets/challenge", json={"address": "0x" + "1" * 40}), 401, "Not logged in"
    )
    assert_error(alice.post("/api/wallets/challenge", json={"address": "0x12"}), 400, "Ethereum address")
    assert_error(alice.post("/api/wallets/challenge", json={}), 422, "address")
    custodial = alice.post("/api/wallets/custodial").json()["wallet"]["address"]
    assert_error(bob.post("/api/wallets/challenge", json={"address": custodial}), 409, "already linked")

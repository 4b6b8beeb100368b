"""Uploads signed by the contributor's own wallet: the server hands out the EIP-712 typed data, checks
the signature before storing anything, and the relayer anchors it with the external wallet as contributor."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sebrus.db.models import OutboxEntry
from tests.support.images import png
from tests.support.platform import Platform, cheap_settings, create_dataset, login, serving


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with serving(cheap_settings(tmp_path_factory.mktemp("signed"))) as running:
        yield running


def link(client: TestClient, auth: dict[str, str], account: LocalAccount) -> None:
    challenge = client.post("/api/wallets/challenge", json={"address": account.address}, headers=auth)
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()["challenge"]
    signature = account.sign_message(encode_defunct(text=body["message"])).signature.hex()
    linked = client.post(
        "/api/wallets/link", json={"nonce": body["nonce"], "signature": "0x" + signature}, headers=auth
    )
    assert linked.status_code == 201, linked.text


def typed_data(
    client: TestClient, auth: dict[str, str], dataset_id: Any, data: bytes, address: str, label: str = "cat"
) -> Any:
    return client.post(
        f"/api/dataset/{dataset_id}/contribution-typed-data",
        json={"sha256": hashlib.sha256(data).hexdigest(), "label": label, "contributor": address},
        headers=auth,
    )


def signed_upload(
    client: TestClient,
    auth: dict[str, str],
    dataset_id: Any,
    data: bytes,
    signer: LocalAccount,
    contributor: str,
) -> Any:
    payload = typed_data(client, auth, dataset_id, data, contributor)
    assert payload.status_code == 200, payload.text
    typed = payload.json()["typed_data"]
    signature = signer.sign_message(encode_typed_data(full_message=typed)).signature.hex()
    params = {
        "label": "cat",
        "signature": "0x" + signature,
        "deadline": typed["message"]["deadline"],
        "contributor": contributor,
    }
    return client.post(
        f"/api/dataset/{dataset_id}/items",
        params=params,
        content=data,
        headers={**auth, "Content-Type": "image/png"},
    )


def outbox_count(client: TestClient, content_hash: str) -> int:
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        return int(
            db.scalar(
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.content_hash == content_hash)
            )
            or 0
        )


def test_a_contribution_signed_by_a_linked_wallet_is_anchored_with_it_as_contributor(
    platform: Platform,
) -> None:
    client, services = platform
    owner = login(client, "signed-owner")
    dataset = create_dataset(client, owner, datasetName="signed pets")
    alice = login(client, "alice-wallet")
    wallet: LocalAccount = Account.create()
    link(client, alice, wallet)

    payload = typed_data(client, alice, dataset["id"], png(1), wallet.address).json()["typed_data"]
    assert payload["primaryType"] == "Contribution"
    assert payload["domain"]["verifyingContract"] == dataset["address"]
    assert payload["domain"]["chainId"] == services.handle.ledger.chain_id
    assert payload["message"]["contributor"] == wallet.address and payload["message"]["label"] == 0
    assert 3000 < payload["message"]["deadline"] - time.time() <= 3600

    balance_before = services.handle.ledger.balance(wallet.address)
    done = signed_upload(client, alice, dataset["id"], png(1), wallet, wallet.address)
    assert done.status_code == 201, done.text
    item = done.json()["item"]
    assert item["contributor"] == wallet.address
    on_chain = services.handle.ledger.get_item(str(dataset["address"]), hashlib.sha256(png(1)).hexdigest())
    assert on_chain is not None and on_chain.contributor == wallet.address
    assert services.handle.ledger.balance(wallet.address) == balance_before == 0  # the relayer paid the gas
    again = signed_upload(client, alice, dataset["id"], png(1), wallet, wallet.address)
    assert again.status_code == 200  # the same bytes again: the first upload's item


def test_a_bad_signature_is_refused_before_anything_is_stored(platform: Platform) -> None:
    client, services = platform
    owner = login(client, "signed-owner-2")
    dataset = create_dataset(client, owner, datasetName="refusals")
    bob = login(client, "bob-wallet")
    wallet, impostor = Account.create(), Account.create()
    link(client, bob, wallet)
    data = png(2)
    digest = hashlib.sha256(data).hexdigest()

    blobs = client.app.state.platform.blobs  # type: ignore[attr-defined]

    forged = signed_upload(client, bob, dataset["id"], data, impostor, wallet.address)
    assert forged.status_code == 400 and "not made by the contributor" in forged.json()["status"]
    assert not blobs.exists(digest) and outbox_count(client, digest) == 0

    # The impostor's own key is not linked to anyone: it cannot stand in as the contributor either.
    own = typed_data(client, bob, dataset["id"], data, wallet.address).json()["typed_data"]
    own["message"]["contributor"] = impostor.address
    unlinked = client.post(
        f"/api/dataset/{dataset['id']}/items",
        params={
            "label": "cat",
            "signature": "0x" + impostor.sign_message(encode_typed_data(full_message=own)).signature.hex(),
            "deadline": own["message"]["deadline"],
            "contributor": impostor.address,
        },
        content=data,
        headers={**bob, "Content-Type": "image/png"},
    )
    assert unlinked.status_code == 400 and "not linked to your account" in unlinked.json()["status"]
    carol = login(client, "carol-wallet")
    borrowed = typed_data(client, carol, dataset["id"], data, wallet.address)  # Bob's wallet, not hers
    assert borrowed.status_code == 400 and "not linked to your account" in borrowed.json()["status"]

    typed = typed_data(client, bob, dataset["id"], data, wallet.address).json()["typed_data"]
    good = "0x" + wallet.sign_message(encode_typed_data(full_message=typed)).signature.hex()
    url = f"/api/dataset/{dataset['id']}/items"
    headers = {**bob, "Content-Type": "image/png"}
    deadline = typed["message"]["deadline"]
    wrong_label = client.post(
        url,
        params={"label": "dog", "signature": good, "deadline": deadline, "contributor": wallet.address},
        content=data,
        headers=headers,
    )
    assert wrong_label.status_code == 400 and "not made by the contributor" in wrong_label.json()["status"]
    partial = client.post(url, params={"label": "cat", "signature": good}, content=data, headers=headers)
    assert partial.status_code == 400 and "all of `signature`, `deadline` and `contributor`" in partial.text
    soon = client.post(
        url,
        params={
            "label": "cat",
            "signature": good,
            "deadline": int(time.time()) + 60,
            "contributor": wallet.address,
        },
        content=data,
        headers=headers,
    )
    assert soon.status_code == 400 and "between 10 minutes and 7 days" in soon.json()["status"]
    garbage = client.post(
        url,
        params={"label": "cat", "signature": "0x1234", "deadline": deadline, "contributor": wallet.address},
        content=data,
        headers=headers,
    )
    assert garbage.status_code == 400 and "65 bytes" in garbage.json()["status"]
    assert not blobs.exists(digest) and outbox_count(client, digest) == 0
    assert services.handle.ledger.get_item(str(dataset["address"]), digest) is None

    accepted = client.post(
        url,
        params={
            "label": "cat",
            "signature": good,
            "deadline": deadline,
            "contributor": wallet.address.lower(),
        },
        content=data,
        headers=headers,
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["item"]["contributor"] == wallet.address

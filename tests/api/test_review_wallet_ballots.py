"""A page of ballots signed by the reviewer's own (browser) wallet: the API answers each votable entry's
EIP-712 typed data, the wallet signs it as ``eth_signTypedData_v4`` would, and the relayer settles the
page in one transaction; a forged ballot refuses the submission with a sentence and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.chain.review_ballots import deposit_bond
from sebrus.db.models import Dataset, ReviewVote
from sebrus.http.deps import review_chain_of
from sebrus.platform import ChainServices
from tests.platform.test_review_wallet import link_wallet
from tests.support.platform import create_dataset, login, review_path, running_platform, upload

STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(
        tmp_path_factory.mktemp("wallet-ballots") / "data", review_finalizer=False
    ) as running:
        yield running


def _signed(account: LocalAccount, entry: dict[str, Any]) -> dict[str, Any]:
    typed = entry["typed_data"]
    signature = account.sign_message(encode_typed_data(full_message=typed)).signature.hex()
    return {"message": typed["message"], "signature": "0x" + signature.removeprefix("0x")}


def test_a_browser_wallet_signs_a_page_and_the_relayer_settles_it_in_one_transaction(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, reviewer = (login(client, f"wb-{r}") for r in ("owner", "contrib", "rev"))
    ds = int(create_dataset(client, owner, "wallet-ballots", {"x": 3, "stake_wei": STAKE})["id"])
    items = [upload(client, contributor, ds, 9400 + n) for n in range(3)]
    wallet = link_wallet(client, reviewer, services)
    chain = review_chain_of(services)
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        found = db.get(Dataset, ds)
        assert found is not None
        dataset_address = found.address
    deposit_bond(chain.reviews, wallet, dataset_address, 3 * STAKE)  # the wallet fills its own bond

    body = {"wallet": wallet.address, "votes": [{"sha256": h[:13], "decision": "approve"} for h in items]}
    prepared = client.post(review_path(ds, "ballots", "typed-data"), json=body, headers=reviewer)
    assert prepared.status_code == 200, prepared.text
    answer = prepared.json()
    assert answer["status"] == f"3 ballots to sign with {wallet.address}." and answer["bond_wei"] == str(
        3 * STAKE
    )
    entries = answer["entries"]
    assert [e["typed_data"]["primaryType"] for e in entries] == ["Ballot"] * 3

    # A ballot signed by another key, claiming to be the wallet's: refused, nothing relayed.
    forged = [_signed(wallet, entries[0]), _signed(Account.create(), entries[1])]
    refused = client.post(review_path(ds, "ballots"), json={"ballots": forged}, headers=reviewer)
    assert (
        refused.status_code == 400
        and f"Ballot 2 is not signed by {wallet.address}" in refused.json()["status"]
    )
    assert client.post(review_path(ds, "ballots"), json={"ballots": forged[:1]}).status_code == 401

    signed = [_signed(wallet, e) for e in entries]
    relayed = client.post(review_path(ds, "ballots"), json={"ballots": signed}, headers=reviewer)
    assert relayed.status_code == 200, relayed.text
    done = relayed.json()
    assert done["status"].startswith("3 votes settled in ") and done["status"].endswith(" in 1 transaction.")
    assert [o["outcome"] for o in done["outcomes"]] == ["settled"] * 3
    with client.app.state.platform.session_factory() as db:  # type: ignore[attr-defined]
        voters = set(db.scalars(select(ReviewVote.voter_address).where(ReviewVote.content_hash.in_(items))))
    assert voters == {wallet.address}

    # The same signed ballots again: skipped by the contract, refused by name.
    again = client.post(review_path(ds, "ballots"), json={"ballots": signed[:1]}, headers=reviewer)
    assert again.status_code == 200 and again.json()["outcomes"][0]["outcome"] == "refused"
    assert again.json()["outcomes"][0]["error"] in ("NonceUsed", "AlreadyVoted")

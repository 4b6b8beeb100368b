"""Review through the reviewer's own wallet on the embedded chain: the server prepares an unsigned
transaction, a key held here (as a browser wallet would) signs and sends it, and the server confirms
it. Every refusal comes before the wallet spends gas, or reads as the custodial path's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from fastapi.testclient import TestClient
from sqlalchemy import select

from sebrus.chain.review import GAS_CLAIM, GAS_VOTE
from sebrus.db.models import ReviewCommitSecret, ReviewVote
from sebrus.platform import ChainServices
from tests.support.platform import Auth, create_dataset, login, review_path, running_platform, upload

STAKE = 10**15


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, ChainServices]]:
    with running_platform(tmp_path_factory.mktemp("review-wallet") / "data") as running:
        yield running


def link_wallet(
    client: TestClient, auth: Auth, services: ChainServices, *, fund: bool = True
) -> LocalAccount:
    """A fresh key linked to the account by the EIP-191 challenge, funded by the operator if asked."""
    account: LocalAccount = Account.create()
    issued = client.post("/api/wallets/challenge", json={"address": account.address}, headers=auth)
    assert issued.status_code == 201, issued.text
    challenge = issued.json()["challenge"]
    signature = account.sign_message(encode_defunct(text=challenge["message"])).signature.hex()
    linked = client.post(
        "/api/wallets/link", json={"nonce": challenge["nonce"], "signature": "0x" + signature}, headers=auth
    )
    assert linked.status_code == 201, linked.text
    if fund:
        services.link.fund(account.address)
    return account


def send(services: ChainServices, wallet: LocalAccount, tx: dict[str, str]) -> str:
    """What the wallet does with eth_sendTransaction: its own nonce and fees, then the raw send."""
    ledger = services.handle.ledger
    assert tx["from"] == wallet.address and int(tx["chainId"], 16) == ledger.chain_id
    signed = wallet.sign_transaction(
        {
            "to": HexStr(tx["to"]),
            "data": HexStr(tx["data"]),
            "value": int(tx["value"], 16),
            "gas": int(tx["gas"], 16),
            "chainId": ledger.chain_id,
            "nonce": ledger.pending_nonce(wallet.address),
            **ledger.fee_suggestion(),
        }
    )
    return ledger.send_raw_transaction(signed.raw_transaction)


def prepare(client: TestClient, auth: Auth, ds: int, sha: str, **body: Any) -> Any:
    return client.post(review_path(ds, "items", sha, "wallet-transaction"), json=body, headers=auth)


def confirm(client: TestClient, auth: Auth, ds: int, tx_hash: str) -> Any:
    return client.post(review_path(ds, "wallet-transactions"), json={"tx_hash": tx_hash}, headers=auth)


def refused(answer: Any, status: int, fragment: str) -> None:
    """Refused with ``status``; ``fragment`` is its contract error's name or part of its sentence."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body.get("error") == fragment or fragment in body["status"], body


def test_a_linked_wallet_votes_and_claims_and_every_refusal_comes_first(
    platform: tuple[TestClient, ChainServices],
) -> None:
    client, services = platform
    owner, contributor, reviewer, other = (
        login(client, n) for n in ("w-owner", "w-contrib", "w-rev", "w-other")
    )
    ds = int(create_dataset(client, owner, "wallet plain", {"x": 1, "stake_wei": STAKE})["id"])
    item, second = upload(client, contributor, ds, 501), upload(client, contributor, ds, 502)
    review = client.get(review_path(ds, "policy")).json()["review"]
    wallet = link_wallet(client, reviewer, services)
    own_wallet = link_wallet(client, contributor, services, fund=False)
    poor = link_wallet(client, other, services, fund=False)
    custodial = next(w["address"] for w in client.get("/api/wallets", headers=reviewer).json()["wallets"])

    # Refused before the wallet is asked for anything.
    stranger = Account.create().address
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="approve", wallet=stranger), 400, "not linked"
    )
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="approve", wallet=poor.address),
        400,
        "not linked",
    )
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="approve", wallet=custodial), 400, "custodial"
    )
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="approve", wallet="z" * 40),
        400,
        "not a wallet",
    )
    refused(prepare(client, reviewer, ds, item, action="vote", wallet=wallet.address), 400, "side")
    refused(
        prepare(client, reviewer, ds, item, action="commit", side="approve", wallet=wallet.address),
        400,
        "CommitRevealOff",
    )
    refused(
        prepare(client, contributor, ds, item, action="vote", side="approve", wallet=own_wallet.address),
        403,
        "OwnContribution",
    )
    refused(
        prepare(client, other, ds, item, action="vote", side="approve", wallet=poor.address),
        400,
        "holds 0 ETH; a vote needs 0.001 ETH plus gas",
    )
    refused(prepare(client, reviewer, ds, item, action="claim", wallet=wallet.address), 409, "NoBallot")
    assert services.handle.reviews is not None
    assert (
        services.handle.reviews.ballot(
            client.get(f"/api/dataset/{ds}").json()["dataset"]["address"], item, 0, wallet.address
        ).state.name
        == "NONE"
    )

    # A cookie session must send the CSRF token, as everywhere in the API.
    browser = TestClient(client.app)
    session = browser.post("/api/session", json={"username": "w-rev", "password": "correct horse"}).json()
    body = {"action": "vote", "side": "approve", "wallet": wallet.address}
    refused(
        browser.post(review_path(ds, "items", item, "wallet-transaction"), json=body), 403, "X-CSRF-Token"
    )
    with_token = browser.post(
        review_path(ds, "items", item, "wallet-transaction"),
        json=body,
        headers={"X-CSRF-Token": session["session"]["csrf_token"]},
    )
    assert with_token.status_code == 200, with_token.text

    # The happy path: the unsigned vote, sent by the wallet, confirmed by the server.
    prepared = prepare(client, reviewer, ds, item, action="vote", side="approve", wallet=wallet.address)
    assert prepared.status_code == 200, prepared.text
    tx = prepared.json()["transaction"]
    assert (tx["from"], tx["to"], tx["value"], tx["gas"]) == (
        wallet.address,
        review,
        hex(STAKE),
        hex(GAS_VOTE),
    )
    tx_hash = send(services, wallet, tx)
    refused(confirm(client, other, ds, tx_hash), 403, "not one of your wallets")
    done = confirm(client, reviewer, ds, tx_hash)
    assert done.status_code == 200, done.text
    answer = done.json()
    assert (answer["action"], answer["tx_hash"], answer["item"]["status"]) == ("vote", tx_hash, "approved")
    assert answer["vote"]["voter"] == wallet.address and answer["vote"]["side"] == "approve"
    assert (
        confirm(client, reviewer, ds, tx_hash).json()["vote"] == answer["vote"]
    )  # confirming twice is harmless
    db = client.app.state.platform.session_factory()  # type: ignore[attr-defined]
    try:
        ballots = list(db.scalars(select(ReviewVote).where(ReviewVote.content_hash == item)))
    finally:
        db.close()
    assert [(b.voter_address, b.side) for b in ballots] == [(wallet.address, "approve")]
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="reject", wallet=wallet.address),
        409,
        "AlreadyResolved",
    )

    # What the wallet sent past the server: a revert reads as the custodial path's refusal, and a
    # transaction to anywhere else is not taken for a vote.
    refused(confirm(client, reviewer, ds, send(services, wallet, tx)), 409, "AlreadyResolved")
    elsewhere = dict(tx, to=stranger, data="0x", value=hex(1), gas=hex(21_000))
    refused(confirm(client, reviewer, ds, send(services, wallet, elsewhere)), 400, "not sent to this dataset")
    refused(confirm(client, reviewer, ds, "0x" + "ab" * 32), 400, "not known")
    refused(confirm(client, reviewer, ds, "0x1234"), 422, "tx_hash")
    prepared_second = prepare(
        client, reviewer, ds, second, action="vote", side="reject", wallet=wallet.address
    )
    refused(confirm(client, reviewer, ds + 1000, tx_hash), 404, "not found")
    assert prepared_second.status_code == 200  # nothing above blocked the next vote

    # The claim: stake back (no reward in this policy), paid to the wallet.
    claim = prepare(client, reviewer, ds, item, action="claim", wallet=wallet.address)
    assert claim.status_code == 200, claim.text
    assert claim.json()["round"] == 0 and claim.json()["transaction"]["gas"] == hex(GAS_CLAIM)
    before = services.handle.ledger.balance(wallet.address)
    claimed = confirm(client, reviewer, ds, send(services, wallet, claim.json()["transaction"]))
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claim"] == {"content_hash": item, "round": 0, "amount_wei": str(STAKE)}
    assert services.handle.ledger.balance(wallet.address) > before
    refused(prepare(client, reviewer, ds, item, action="claim", wallet=wallet.address), 409, "AlreadyClaimed")


def test_commit_and_reveal_with_a_wallet_on_an_allow_list(platform: tuple[TestClient, ChainServices]) -> None:
    client, services = platform
    owner, contributor, reviewer = (login(client, n) for n in ("c-owner", "c-contrib", "c-rev"))
    policy = {"x": 1, "stake_wei": STAKE, "voters": "allow-list", "commit_reveal": True}
    ds = int(create_dataset(client, owner, "wallet commit", policy)["id"])
    item = upload(client, contributor, ds, 601)
    wallet = link_wallet(client, reviewer, services)

    refused(
        prepare(client, reviewer, ds, item, action="commit", side="reject", wallet=wallet.address),
        403,
        "NotAllowedVoter",
    )
    allowed = client.post(review_path(ds, "voters"), json={"voter": wallet.address}, headers=owner)
    assert allowed.status_code == 200, allowed.text
    refused(
        prepare(client, reviewer, ds, item, action="vote", side="reject", wallet=wallet.address),
        400,
        "CommitRevealRequired",
    )
    refused(prepare(client, reviewer, ds, item, action="reveal", wallet=wallet.address), 409, "NoBallot")

    # A prepared commit the wallet never sent does not block the next one: its nonce is reused.
    abandoned = prepare(client, reviewer, ds, item, action="commit", side="approve", wallet=wallet.address)
    assert abandoned.status_code == 200, abandoned.text
    prepared = prepare(client, reviewer, ds, item, action="commit", side="reject", wallet=wallet.address)
    assert prepared.status_code == 200, prepared.text
    assert prepared.json()["transaction"]["data"] != abandoned.json()["transaction"]["data"]
    assert _secrets(client, item) == [(wallet.address, 0, False)]
    committed = confirm(client, reviewer, ds, send(services, wallet, prepared.json()["transaction"]))
    assert committed.status_code == 200, committed.text
    assert committed.json()["action"] == "commit" and committed.json()["vote"]["revealed"] is False
    assert committed.json()["item"]["status"] == "pending"

    # A second commit is refused before sending, and stores no second nonce.
    refused(
        prepare(client, reviewer, ds, item, action="commit", side="approve", wallet=wallet.address),
        409,
        "CommitClosed",
    )
    assert _secrets(client, item) == [(wallet.address, 0, False)]

    reveal = prepare(client, reviewer, ds, item, action="reveal", wallet=wallet.address)
    assert reveal.status_code == 200, reveal.text
    revealed = confirm(client, reviewer, ds, send(services, wallet, reveal.json()["transaction"]))
    assert revealed.status_code == 200, revealed.text
    answer = revealed.json()
    assert answer["action"] == "reveal" and answer["vote"]["side"] == "reject"
    assert answer["item"]["status"] == "rejected"
    assert _secrets(client, item) == [(wallet.address, 0, True)]


def _secrets(client: TestClient, item: str) -> list[tuple[str, int, bool]]:
    db = client.app.state.platform.session_factory()  # type: ignore[attr-defined]
    try:
        rows = db.scalars(select(ReviewCommitSecret).where(ReviewCommitSecret.content_hash == item))
        return [(r.voter_address, r.round, r.revealed_at is not None) for r in rows]
    finally:
        db.close()
